/**
 * `spot-meta smoke` against a local stack announced as `spot-meta dev` announces itself (the
 * working directory's `.spot-meta/dev.json`): with nothing wrong every part is good and the test
 * order ends with its metadata as before; a wrong queue URL, a wrong token and an unreachable Spot
 * each fail with exit 3 on the part's own line. No line shows a metadata value.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevState, writeDevState } from "../../lib/local/dev-state.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { captureLogs } from "../support/log-capture.ts";
import { type CliRun, spotMeta } from "../support/spot-meta-cli.ts";

/** A value no line may show: it stands for health information. */
const SECRET_VALUE = "1990-01-01-not-to-be-printed";
const PREVIOUS = { clinic: "east", dob: SECRET_VALUE };

let stack: LocalStack;
let cwd: string;

beforeAll(async () => {
  stack = await startLocalStack({
    logger: captureLogs("warn").logger,
    onMetrics: () => {},
    sandbox: { seedCount: 10 },
    eventSource: { batchingWindowMs: 20 },
  });
  cwd = mkdtempSync(join(tmpdir(), "smoke-"));
  writeDevState(devStateOf(stack), join(cwd, ".spot-meta", "dev.json"));
  // The test order's metadata before the check, written at Spot as any update would be.
  const answer = await fetch(`${stack.sandbox.url}/api/v2/orders/O0000001/`, {
    method: "POST",
    headers: { Authorization: `Token ${stack.sandbox.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ metadata: PREVIOUS }),
  });
  expect(answer.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (cwd !== undefined) rmSync(cwd, { recursive: true, force: true });
});

/** What `spot-meta dev` would announce for this stack (this process stands for its pid). */
function devStateOf(local: LocalStack): DevState {
  return {
    pid: process.pid,
    sqsEndpoint: local.queues.endpoint,
    region: local.queues.region,
    queueUrl: local.queues.queueUrl,
    dlqUrl: local.queues.dlqUrl,
    sandboxUrl: local.sandbox.url,
    sandboxToken: local.sandbox.token,
    ledgerEndpoint: local.dynamoDb?.endpoint,
    ledgerTable: local.dynamoDb?.table,
  };
}

function smoke(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spotMeta(["smoke", "--public-id", "O0000001", "--timeout", "20", ...args], {
    cwd,
    env: { HOME: cwd, ...env },
  }).done;
}

/** The part's line: its state and what it says. */
function lineOf(run: CliRun, part: string): string | undefined {
  return run.stdout.split("\n").find((line) => line.startsWith(`${part.padEnd(12)} `));
}

describe("spot-meta smoke", () => {
  it("against a healthy stack: every part good, exit 0, the order put back", async () => {
    const run = await smoke([]);

    expect(run.code, run.stderr + run.stdout).toBe(0);
    for (const part of ["queue", "function", "token", "Spot", "ledger", "restore"])
      expect(lineOf(run, part)).toMatch(new RegExp(`^${part} +ok +`));
    expect(lineOf(run, "alarm topic")).toMatch(/^alarm topic +not checked +/);
    expect(lineOf(run, "restore")).toContain("keys: clinic, dob");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: good");
    expect(stack.sandbox.metadataOf("O0000001")).toStrictEqual(PREVIOUS);
    expect(run.stdout + run.stderr).not.toContain(SECRET_VALUE);
    expect(run.stdout + run.stderr).not.toContain(stack.sandbox.token);
  }, 60_000);

  it("with a queue URL that names no queue: exit 3 on the queue's line, the order untouched", async () => {
    const wrong = `${stack.queues.endpoint}/000000000000/no-such-queue`;

    const run = await smoke(["--queue-url", wrong]);

    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(lineOf(run, "queue")).toBe(
      `queue        FAILED       the queue ${wrong} does not exist (QueueDoesNotExist): check the URL, its region and its account`,
    );
    expect(lineOf(run, "restore")).toMatch(/not checked +nothing sent/);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: FAILED: queue");
    expect(stack.sandbox.metadataOf("O0000001")).toStrictEqual(PREVIOUS);
  }, 60_000);

  it("with a token Spot refuses: exit 3 on the token's line, nothing sent", async () => {
    const run = await smoke([], {
      SPOT_META_SPOT_BASE_URL: stack.sandbox.url,
      SPOT_META_SPOT_TOKEN: "not-the-token",
    });

    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(lineOf(run, "token")).toMatch(/^token +FAILED +Spot refused it .*401/);
    expect(lineOf(run, "queue")).toMatch(/^queue +not checked +answers; nothing sent/);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: FAILED: token");
    expect(run.stdout + run.stderr).not.toContain("not-the-token");
  }, 60_000);

  it("with Spot unreachable: exit 3 on Spot's line, nothing sent", async () => {
    const nowhere = "http://127.0.0.1:1";

    const run = await smoke([], { SPOT_META_SPOT_BASE_URL: nowhere, SPOT_META_SPOT_TOKEN: "any" });

    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(lineOf(run, "Spot")).toMatch(new RegExp(`^Spot +FAILED +cannot read O0000001 at ${nowhere}`));
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: FAILED: Spot");
  }, 60_000);

  it("with a function that cannot apply it (its token refused): exit 3 on the function's line", async () => {
    const broken = await startLocalStack({
      logger: captureLogs("warn").logger,
      onMetrics: () => {},
      sandbox: { seedCount: 10 },
      handler: { spotToken: "the-function-s-wrong-token" },
      eventSource: { batchingWindowMs: 20 },
    });
    const dir = mkdtempSync(join(tmpdir(), "smoke-broken-"));
    try {
      writeDevState(devStateOf(broken), join(dir, ".spot-meta", "dev.json"));

      const run = await spotMeta(["smoke", "--public-id", "O0000001", "--timeout", "2"], {
        cwd: dir,
        env: { HOME: dir },
      }).done;

      expect(run.code, run.stderr + run.stdout).toBe(3);
      expect(lineOf(run, "function")).toMatch(/^function +FAILED +did not apply the update within/);
      expect(lineOf(run, "token")).toMatch(/^token +ok/);
      expect(lineOf(run, "Spot")).toMatch(/^Spot +not checked +reads O0000001; the update did not reach it/);
      expect(lineOf(run, "restore")).toMatch(/^restore +not checked +previous metadata sent back/);
      expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: FAILED: function");
    } finally {
      await broken.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("with nothing to talk to: exit 1, saying how to name a queue", async () => {
    const empty = mkdtempSync(join(tmpdir(), "smoke-empty-"));
    try {
      const run = await spotMeta(["smoke", "--public-id", "O0000001"], { cwd: empty, env: { HOME: empty } })
        .done;

      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^spot-meta smoke: no target queue/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
