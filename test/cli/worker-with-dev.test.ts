/**
 * `spot-meta worker` beside a running `spot-meta dev --pollers 0`: it finds the queues, the sandbox
 * and the ledger from `.spot-meta/dev.json` with no flag and no variable, and when stopped it leaves
 * no message invisible behind it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, expect, it } from "vitest";
import type { DevState } from "../../lib/local/dev-state.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../lib/local/local-aws.ts";
import { COMPILE_CACHE } from "../support/compile-cache.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");
const children: ChildProcess[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill("SIGINT");
    if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function start(args: string[], cwd: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...COMPILE_CACHE },
  });
  children.push(child);
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk;
  });
  return { child, output: () => text };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; !condition(); await sleep(50)) {
    if (Date.now() > end) throw new Error("timed out");
  }
}

it("works from dev.json alone, and stops without leaving a message invisible", async () => {
  // Prepare: the local stack with no poller of its own
  dir = mkdtempSync(join(tmpdir(), "spot-meta-worker-"));
  const cwd = dir;
  const stateFile = join(cwd, ".spot-meta", "dev.json");
  start(["dev", "--orders", "5", "--pollers", "0"], cwd);
  await until(() => existsSync(stateFile), 90_000);
  const dev = JSON.parse(readFileSync(stateFile, "utf8")) as DevState;
  const sqs = new SQSClient({
    endpoint: dev.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const send = (publicId: string) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: dev.queueUrl,
        MessageBody: JSON.stringify({ publicId, metadata: { by: "worker" } }),
      }),
    );

  // Act: a worker with no flags and no SPOT_META_* variables applies an update…
  const worker = start(["worker", "--window-ms", "20"], cwd);
  await send("O0000001");
  await until(() => worker.output().includes('"outcome":"applied"'), 60_000);
  // …and, stopped while it long-polls, takes nothing sent just after with it
  worker.child.kill("SIGINT");
  await send("O0000002");
  const exit = await new Promise((resolve) => worker.child.once("exit", resolve));
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: dev.queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
  );

  // Assess
  expect(worker.output()).toContain(`consuming ${dev.queueUrl}`);
  expect(worker.output()).toContain(`the ledger ${dev.ledgerTable}`);
  expect(exit).toBe(0);
  expect(Messages.map((message) => JSON.parse(message.Body ?? "{}").publicId)).toStrictEqual(["O0000002"]);
  sqs.destroy();
}, 180_000);
