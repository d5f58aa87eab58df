/** `spot-meta worker` consumes a queue named by flags, with the handler's settings from the environment. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { toEnvironment } from "../../lib/lambda/config.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { captureLogs } from "../support/log-capture.ts";
import { drainQueue, orderId, sendBodies } from "../support/queues.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");
let stack: LocalStack | undefined;
afterEach(() => stack?.stop());

it("applies what is on the queue and stops cleanly on SIGINT", async () => {
  // Prepare: queues and the sandbox, but no poller of the stack's own.
  stack = await startLocalStack({
    autoStart: false,
    ledger: false,
    sandbox: { seedCount: 3 },
    logger: captureLogs().logger,
  });
  const { sqs, queues, sandbox } = stack;
  await sendBodies(sqs, queues.queueUrl, [
    { publicId: orderId(1), metadata: { by: "worker" } },
    { publicId: "Z1", metadata: {} },
  ]);
  const env = toEnvironment({
    spotBaseUrl: sandbox.url,
    spotToken: sandbox.token,
    dlqUrl: queues.dlqUrl,
    logLevel: "warn",
  });

  // Act
  const worker = spawn(
    process.execPath,
    [
      BIN,
      "worker",
      "--queue-url",
      queues.queueUrl,
      "--endpoint-url",
      queues.endpoint,
      "--window-ms",
      "50",
      "--wait-seconds",
      "1",
    ],
    { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  worker.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  worker.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  await stack.waitUntilDrained({ timeoutMs: 20_000 });
  worker.kill("SIGINT");
  const code = await new Promise((resolve) => worker.on("exit", resolve));

  // Assess
  expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ by: "worker" });
  expect((await drainQueue(sqs, queues.dlqUrl)).map((d) => d.failure?.status)).toStrictEqual([404]);
  expect(code).toBe(0);
  expect(output.join("")).toContain(`consuming ${queues.queueUrl}`);
}, 40_000);

it("refuses to start with a bad setting, naming it", async () => {
  const worker = spawn(
    process.execPath,
    [BIN, "worker", "--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q"],
    {
      env: { PATH: process.env.PATH, SPOT_META_CONCURRENCY: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const errors: string[] = [];
  worker.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
  const code = await new Promise((resolve) => worker.on("exit", resolve));
  expect(code).toBe(1);
  expect(errors.join("")).toContain('SPOT_META_CONCURRENCY: must be at least 1 (got "0")');
});
