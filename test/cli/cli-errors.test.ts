/**
 * What an operator gets wrong most often, each command answers in one line that says what to fix,
 * never with a stack trace: a queue URL that names no queue (the line names it), no AWS region
 * (the line says how to give one), a setting with a value it does not take (the line lists them).
 * Each command runs as a child process, as on call, with no AWS configuration but the flags.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { COMPILE_CACHE } from "../support/compile-cache.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");
/** A queue URL with no region in it (not `sqs.<region>.amazonaws.com`), and nothing to answer it. */
const REGIONLESS = "https://sqs.example.test/123456789012/orders";
const HOW_TO_GIVE_A_REGION = "pass --region REGION or set AWS_REGION";
/** A worker's settings, so that it gets as far as the queue (the token is a placeholder). */
const WORKER_SETTINGS = {
  SPOT_META_SPOT_TOKEN: "placeholder",
  SPOT_META_DLQ_URL: "https://sqs.example.test/123456789012/orders-dlq",
};

let sqs: EmbeddedSqs;
let dir: string;
let missing: string;

beforeAll(async () => {
  sqs = await startEmbeddedSqs();
  missing = `${sqs.endpoint}/000000000000/no-such-queue`;
  dir = mkdtempSync(join(tmpdir(), "cli-errors-"));
  writeFileSync(join(dir, "orders.csv"), "public_id,clinic\nO1,north\n");
  // Receipts of two imports, for import-status: one to the missing queue, one to the region-less one.
  mkdirSync(join(dir, ".spot-meta", "imports"), { recursive: true });
  for (const [id, queueUrl] of [
    ["imp-20261129T000000Z-aaaa", missing],
    ["imp-20261129T000000Z-bbbb", REGIONLESS],
  ] as const) {
    const receipt = {
      id,
      file: join(dir, "orders.csv"),
      sha256: "0",
      startedAt: "2026-11-29T00:00:00.000Z",
      queueUrl,
    };
    writeFileSync(join(dir, ".spot-meta", "imports", `${id}.json`), JSON.stringify(receipt));
  }
});
afterAll(async () => {
  await sqs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `spot-meta <args>` in the temporary directory, with no AWS region or profile anywhere. */
function spotMeta(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
      ...COMPILE_CACHE,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

/** The stderr line of the command's error: the last one, whatever "about to" lines came before. */
function errorLine(stderr: string): string {
  return stderr.trimEnd().split("\n").at(-1) ?? "";
}

describe("a queue that does not exist", () => {
  it("is named in one line by every command", async () => {
    const onFauxqs = ["--endpoint-url", sqs.endpoint];
    const runs = await Promise.all([
      spotMeta(["dlq", "stats", "--dlq-url", missing, ...onFauxqs]),
      spotMeta(["dlq", "peek", "--queue-url", missing, ...onFauxqs]),
      spotMeta(["import", "orders.csv", "--queue-url", missing, "--no-progress", ...onFauxqs]),
      spotMeta(["import-status", "imp-20261129T000000Z-aaaa", "--queue-url", missing, ...onFauxqs]),
      spotMeta(["worker", "--queue-url", missing, ...onFauxqs], WORKER_SETTINGS),
    ]);

    const [stats, peek, importRun, status, worker] = runs.map((run) => errorLine(run.stderr));
    const missingQueue = `the queue ${missing} does not exist (QueueDoesNotExist): check the URL, its region and its account`;
    expect(stats).toBe(`spot-meta dlq stats: ${missingQueue}`);
    expect(peek).toBe(`spot-meta dlq peek: ${missingQueue}`);
    expect(importRun).toBe(
      `spot-meta import: cannot reach the queue ${missing} (QueueDoesNotExist: The specified queue does not exist.)`,
    );
    expect(status).toBe(`spot-meta import-status: ${missingQueue}`);
    expect(worker).toBe(`spot-meta worker: ${missingQueue}`);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe("no AWS region", () => {
  it("is said in one line by every command, with how to give one", async () => {
    const runs = await Promise.all([
      spotMeta(["dlq", "stats", "--dlq-url", REGIONLESS]),
      spotMeta(["dlq", "replay", "--queue-url", REGIONLESS]),
      spotMeta(["import", "orders.csv", "--queue-url", REGIONLESS, "--no-progress"]),
      spotMeta(["import-status", "imp-20261129T000000Z-bbbb", "--queue-url", REGIONLESS]),
      spotMeta(["worker", "--queue-url", REGIONLESS], WORKER_SETTINGS),
    ]);

    const lines = runs.map((run) => errorLine(run.stderr));
    const noRegion = `no AWS region for the queue ${REGIONLESS}: ${HOW_TO_GIVE_A_REGION}`;
    expect(lines).toStrictEqual([
      `spot-meta dlq stats: ${noRegion}`,
      `spot-meta dlq replay: ${noRegion}`,
      `spot-meta import: cannot reach the queue ${REGIONLESS} (RegionMissingError: ${noRegion})`,
      `spot-meta import-status: ${noRegion}`,
      `spot-meta worker: ${noRegion}`,
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe("a flag setting with a value it does not take", () => {
  it("lists the values it takes", async () => {
    const run = await spotMeta(["worker", "--queue-url", REGIONLESS], {
      ...WORKER_SETTINGS,
      SPOT_META_LOG_METADATA: "yes",
    });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'spot-meta worker: invalid configuration: SPOT_META_LOG_METADATA: must be one of true, false, 1, 0 (got "yes")\n',
    );
  });
});
