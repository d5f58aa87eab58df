/**
 * `spot-meta` from anywhere: from a directory of the checkout below the one `spot-meta dev` runs in
 * (`examples/`), it finds the running dev stack; through `npx --prefix <checkout>` from elsewhere,
 * where npm leaves the checkout's Node 24 off the PATH and the machine's older Node runs the command,
 * it says in one line what to run instead of failing on the ".ts" file.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevState, devStateFileFor, writeDevState } from "../../lib/local/dev-state.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { spotMeta } from "../support/spot-meta-cli.ts";

const REPO = join(import.meta.dirname, "..", "..");
const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };

let sqs: EmbeddedSqs;
let root: string;

beforeAll(async () => {
  sqs = await startEmbeddedSqs();
  const client = sqs.client();
  await client.send(
    new SendMessageCommand({
      QueueUrl: sqs.dlqUrl,
      MessageBody: JSON.stringify({ publicId: "O1", metadata: {} }),
    }),
  );
  client.destroy();
  root = mkdtempSync(join(tmpdir(), "any-directory-"));
});
afterAll(async () => {
  await sqs?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function devState(pid: number): DevState {
  return {
    pid,
    sqsEndpoint: sqs.endpoint,
    region: sqs.region,
    queueUrl: sqs.queueUrl,
    dlqUrl: sqs.dlqUrl,
    sandboxUrl: "http://127.0.0.1:9",
    sandboxToken: "sandbox-token-not-a-secret",
  };
}

/** The pid of a process that has exited: a dev stack stopped without removing its file. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  return pid ?? 0;
}

describe("from a directory below the running dev stack's", () => {
  it("finds its stack, passing over a stale state file on the way", async () => {
    // Prepare: `spot-meta dev` runs at the root; examples/ holds the file of one that was killed
    writeDevState(devState(process.pid), join(root, ".spot-meta", "dev.json"));
    const examples = join(root, "examples");
    mkdirSync(examples);
    writeDevState(devState(deadPid()), join(examples, ".spot-meta", "dev.json"));
    // Act
    const run = await spotMeta(["dlq", "stats"], { cwd: examples, env: { HOME: root } }).done;
    // Assess
    expect(run.stderr).toContain(
      `DLQ ${sqs.dlqUrl} (source queue ${sqs.queueUrl}); queues from spot-meta dev\n`,
    );
    expect(run.stdout).toContain("spot-order-metadata-dlq: 1 message");
    expect(run.code).toBe(0);
  });
});

/** The PATH without any `node_modules/.bin`: what npm gives a command run with `--prefix` from elsewhere. */
const MACHINE_PATH = (process.env.PATH ?? "")
  .split(delimiter)
  .filter((dir) => !dir.includes(join("node_modules", ".bin")))
  .join(delimiter);
const machineNode = spawnSync("node", ["--version"], { env: { PATH: MACHINE_PATH }, encoding: "utf8" });
const MACHINE_MAJOR = Number(/^v(\d+)/.exec(machineNode.stdout ?? "")?.[1] ?? 0);

describe("the command npm links (bin/spot-meta.mjs)", () => {
  it("runs the CLI on Node 24", async () => {
    const child = spawnSync(process.execPath, [join(REPO, "bin", "spot-meta.mjs"), "--version"], {
      encoding: "utf8",
    });

    expect({ code: child.status, stdout: child.stdout, stderr: child.stderr }).toStrictEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: "",
    });
  });

  it.skipIf(MACHINE_MAJOR === 0 || MACHINE_MAJOR >= 24)(
    "through npx --prefix on the machine's older Node, says in one line what to run instead",
    async () => {
      const child = spawn("npx", ["--prefix", REPO, "spot-meta", "--version"], {
        cwd: tmpdir(),
        env: { PATH: MACHINE_PATH, HOME: process.env.HOME },
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk;
      });
      const code = await new Promise((resolve) => child.on("close", resolve));

      expect(code).toBe(1);
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^spot-meta needs Node 24 or later, not \d+\.\d+\.\d+ \(/);
      expect(lines[0]).toContain(
        `; run it with the checkout's: ${join(REPO, "node_modules", ".bin", "node")} ${join(REPO, "bin", "spot-meta.ts")} … (or npx spot-meta … from inside ${REPO})`,
      );
    },
    60_000,
  );
});

describe("where spot-meta dev writes where it listens", () => {
  it("under the checkout's root from any directory of the checkout, under its own directory elsewhere", () => {
    // Act
    const fromExamples = devStateFileFor(join(REPO, "examples"));
    const fromRoot = devStateFileFor(REPO);
    const fromElsewhere = devStateFileFor(root);

    // Assess: a command run from the root (or anywhere below) finds a dev started in examples/.
    expect(fromExamples).toBe(join(REPO, ".spot-meta", "dev.json"));
    expect(fromRoot).toBe(join(REPO, ".spot-meta", "dev.json"));
    expect(fromElsewhere).toBe(join(root, ".spot-meta", "dev.json"));
  });
});
