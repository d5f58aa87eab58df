/**
 * `spot-meta demo` (what `npm start` runs): the whole pipeline on this machine. It starts the local
 * stack, imports examples/orders.csv through the CSV importer, lets the handler work the queue while
 * the Spot sandbox injects faults, and prints what happened. No AWS account, no token.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { createLogger } from "../../lambda/logger.ts";
import { createTally, type RunTally } from "../../local/run-tally.ts";
import type { FaultPlan } from "../../local/sandbox/types.ts";
import { importCsv } from "../../tools/csv-import/import-csv.ts";
import { formatSummary } from "../../tools/csv-import/summary.ts";
import { positiveInteger } from "../shared/arguments.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";

interface DemoFlags {
  file: string;
  orders: number;
  faults: number;
  pollers: number;
  out: string;
}

export function registerDemoCommand(program: Command, io: CommandIo = processIo): void {
  program
    .command("demo")
    .description(
      "Run the whole pipeline locally on a sample CSV and report what happened (what `npm start` does).",
    )
    .option("--file <file.csv>", "the CSV to import", "examples/orders.csv")
    .option("--orders <n>", "orders the Spot sandbox knows (O0000001…)", positiveInteger, 250)
    .option("--faults <share>", "share of calls the sandbox fails transiently (0–1)", Number, 0.1)
    .option("--pollers <n>", "concurrent pollers (like Lambda instances)", positiveInteger, 2)
    .option("--out <dir>", "where the logs and the rejects file go", ".spot-meta")
    .action((flags: DemoFlags) =>
      runCommand(io, "demo", () => runDemo(flags), {
        // The demo is short, and its report is worth nothing cut in the middle: it runs to its end.
        stopping: "the demo finishes its run (a few seconds), then stops the local stack",
      }),
    );
}

async function runDemo(flags: DemoFlags): Promise<number> {
  mkdirSync(flags.out, { recursive: true });
  const logFile = join(flags.out, "demo.log");
  const log = createWriteStream(logFile);
  const tally = createTally();
  const logger = createLogger({
    destination: {
      write(line: string) {
        log.write(line);
        tally.add(line);
      },
    },
  });
  const started = performance.now();
  // Loaded here, not at the top: the local servers (fauxqs, dynalite) are heavy, and every other
  // command of the CLI would carry them.
  const { startLocalStack } = await import("../../local/local-stack.ts");
  const stack = await startLocalStack({
    logger,
    onMetrics: () => {},
    sandbox: { seedCount: flags.orders, faults: transientFaults(flags.faults) },
    eventSource: { pollers: flags.pollers, batchingWindowMs: 100 },
  });
  try {
    out(
      "spot-order-metadata: the whole pipeline on this machine (embedded SQS, Spot sandbox; no AWS account, no token)\n",
    );
    out(
      `  queue ${stack.queues.queueUrl}\n  DLQ   ${stack.queues.dlqUrl}\n  Spot  ${stack.sandbox.url} (sandbox, ${fmtShare(flags.faults)} transient faults)\n\n`,
    );
    const summary = await importCsv({
      file: flags.file,
      target: { sqs: stack.sqs, queueUrl: stack.queues.queueUrl },
      rejectsPath: join(flags.out, "orders.rejects.csv"),
      checkpointPath: join(flags.out, "orders.checkpoint.json"),
    });
    out(formatSummary(summary));
    await sendFromBuggyService(stack.sqs, stack.queues.queueUrl);
    await stack.waitUntilDrained({ timeoutMs: 5 * 60_000 });
    const seconds = (performance.now() - started) / 1000;
    out(`\n${report(tally, seconds, stack.eventSource.invocations, stack.sandbox.requests.length)}\n`);
    out(
      [
        "",
        "Where to look next:",
        `  every message's outcome (JSON lines): ${logFile}`,
        `  rejected CSV rows:                    ${summary.rejectsFile ?? "(none)"}`,
        "  keep the local stack running:         npx spot-meta dev",
        "  the tests:                            npm test",
        "",
      ].join("\n"),
    );
    return 0;
  } finally {
    await stack.stop();
    await new Promise((resolve) => log.end(resolve));
  }
}

/** Bodies a service with a bug might send past the producer: they go to the DLQ as `invalid`. */
async function sendFromBuggyService(sqs: SQSClient, queueUrl: string): Promise<void> {
  const bodies = [
    '{"publicId": "O0000001", "metadata": "not an object"}',
    '{"public_id": "O0000002", "metadata": {}}',
    "<xml>not json</xml>",
  ];
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, index) => ({
        Id: String(index),
        MessageBody: body,
        MessageAttributes: { source: { DataType: "String", StringValue: "svc:demo-buggy" } },
      })),
    }),
  );
  out(`  + ${bodies.length} malformed messages sent straight to the queue, as a service with a bug would\n`);
}

function report(tally: RunTally, seconds: number, invocations: number, requests: number): string {
  const rows: Array<[string, number]> = [
    ["applied", tally.applied],
    ["superseded (a newer or the same update won)", tally.superseded],
    ["dead-lettered", tally.deadLettered],
    ...[...tally.deadLetteredBy].map(([reason, count]): [string, number] => [`  ${reason}`, count]),
    ["handed back for a retry", tally.retries],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Pipeline: drained in ${seconds.toFixed(1)} s, ${invocations} invocations, ${requests} calls to the Spot sandbox`,
    ...rows.map(([label, count]) => `  ${label.padEnd(width)}  ${String(count).padStart(5)}`),
  ].join("\n");
}

/** A mix of every transient fault the sandbox can inject, adding up to `share` of calls. */
function transientFaults(share: number): FaultPlan {
  const each = share / 5;
  return {
    latencyMs: { min: 2, max: 20 },
    random: [
      { fault: { kind: "status", status: 429, retryAfter: "1" }, rate: each },
      { fault: { kind: "status", status: 503 }, rate: each },
      { fault: { kind: "html", status: 502 }, rate: each },
      { fault: { kind: "reset" }, rate: each },
      { fault: { kind: "status", status: 500 }, rate: each },
    ],
  };
}

function fmtShare(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function out(text: string): void {
  process.stdout.write(text);
}
