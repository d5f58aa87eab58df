/**
 * Cost per million updates, all-in, from measured figures: a local run of N updates with the ledger
 * on (the handler paced as the stack deploys it, Spot answering after L ms) counts the SQS requests
 * of the producer, the event source and the handler, the ledger's DynamoDB requests, the bytes the
 * handler logs (its lines and its EMF lines), each invocation's billed duration, and the invocations
 * per second that X-Ray's sampling goes by. Then the bundled handler from `cdk synth` runs in a child
 * process as Lambda runs it (X-Ray tracing on) over updates with 16 KiB of metadata, with Node's heap
 * limits and with those Lambda's runtime sets per memory size: its peak RSS and heap; and once more
 * with the cost run's metadata, for its CPU time per invocation. The cost model
 * (bench/support/cost-model.ts) prices it all at 128, 256 and 512 MB and at the configured size.
 *
 *   npm run bench:cost -- [--messages 2000] [--latency 50] [--instances 2] [--metadata-bytes 200]
 *                         [--memory-messages 2000] (0 skips the bundled runs) [--rps N] (the pace's ceiling)
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { resolveStackConfig } from "../infra/config.ts";
import { contextInput } from "../infra/context.ts";
import { REPO_ROOT } from "../infra/update-function.ts";
import { type MemoryRun, measureBundledHandler, synthesize } from "./support/bundled-handler.ts";
import {
  costPerMillion,
  LOG_EVENT_OVERHEAD_BYTES,
  type PerMessage,
  PLATFORM_LOG_LINES,
  readUnits,
  sampledShare,
  worstCaseBilledMs,
  writeUnits,
} from "./support/cost-model.ts";
import { runForCosts } from "./support/cost-run.ts";
import { fmt, numberFlag } from "./support/pipeline-run.ts";

const TARGET_PER_MILLION = 2.0;
const MEMORY_SIZES = [128, 256, 512];
const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as {
  context: Record<string, unknown>;
};
const deployed = resolveStackConfig(contextInput(cdkJson.context));
// What-if: another ceiling of each instance's pace at Spot than the stack's.
const stack = { ...deployed, requestsPerSecond: numberFlag("rps", deployed.requestsPerSecond) };

const MESSAGES = numberFlag("messages", 2_000);
const LATENCY_MS = numberFlag("latency", 50);
const INSTANCES = numberFlag("instances", stack.maxConcurrency);
const METADATA_BYTES = numberFlag("metadata-bytes", 200);
const MEMORY_MESSAGES = numberFlag("memory-messages", 2_000);

console.log(
  `cost benchmark: ${cpus().length} cores, Node ${process.version}; ${fmt(MESSAGES)} updates (~${fmt(METADATA_BYTES)} B of metadata), Spot latency ${LATENCY_MS} ms, batch ${stack.batchSize}, ${INSTANCES} instance(s) at ${stack.handlerConcurrency} in flight / ${stack.requestsPerSecond} req/s each (the stack's settings), ledger on`,
);
const run = await runForCosts({
  messages: MESSAGES,
  latencyMs: LATENCY_MS,
  instances: INSTANCES,
  batchSize: stack.batchSize,
  metadataBytes: METADATA_BYTES,
  stack,
});
if (!run.finished) console.log("  (TIMED OUT: the figures cover the messages that finished)");
const done = run.tally.applied + run.tally.superseded + run.tally.deadLettered;
console.log(
  `  ${fmt(run.seconds, 1)} s: ${fmt(run.tally.applied)} applied, ${fmt(run.tally.superseded)} superseded, ${fmt(run.tally.deadLettered)} dead-lettered, ${fmt(run.tally.retries)} handed back; ${fmt(run.spotCalls)} calls to Spot`,
);

// Per message, from what was measured.
const perMessage = (n: number) => n / done;
const sqs = run.sqs;
const receives = sqs.eventSource.byCommand.get("ReceiveMessageCommand");
const emptyReceives = receives?.empty ?? 0;
const sqsParts = {
  producer: sqs.producer.total("units"),
  // Empty receives are the event source's idle polling: a fixed cost, not a cost per update.
  eventSource: sqs.eventSource.total("units") - emptyReceives,
  handler: sqs.handler.total("units"),
};
const unitsPerWrite = writeUnits(run.ledgerItemBytes.max);
const writes = run.dynamoDb.total("calls", ["UpdateItemCommand", "PutItemCommand", "DeleteItemCommand"]);
const reads = run.dynamoDb.total("calls", ["GetItemCommand"]);
const platformBytes = PLATFORM_LOG_LINES.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
const logEvents = run.logs.handler.lines + run.logs.emf.lines + PLATFORM_LOG_LINES.length * run.invocations;
const logBytes =
  run.logs.handler.bytes +
  run.logs.emf.bytes +
  platformBytes * run.invocations +
  LOG_EVENT_OVERHEAD_BYTES * logEvents;
const billedMsPerInvocation = run.billedMs.reduce((sum, ms) => sum + ms, 0) / Math.max(1, run.invocations);
// X-Ray samples by the function's invocations per second: the run's, with the stack's instances.
const invocationsPerSecond = run.invocations / run.seconds;
const measured: PerMessage = {
  invocations: perMessage(run.invocations),
  billedMsPerInvocation,
  sqsRequests: perMessage(sqsParts.producer + sqsParts.eventSource + sqsParts.handler),
  writeUnits: perMessage(writes * unitsPerWrite),
  readUnits: perMessage(reads * readUnits(run.ledgerItemBytes.max, true)),
  logBytes: perMessage(logBytes),
  traces: perMessage(run.invocations) * sampledShare(invocationsPerSecond),
};

const sorted = [...run.billedMs].sort((a, b) => a - b);
const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const commands = (counter: typeof sqs.producer) =>
  [...counter.byCommand]
    .map(
      ([name, c]) =>
        `${name.replace("Command", "")} ${fmt(c.calls)}${c.empty ? ` (${fmt(c.empty)} empty)` : ""}`,
    )
    .join(", ") || "none";
console.log("\nmeasured inputs (per update unless said otherwise):\n");
console.log("| input | measured | from |\n| --- | ---: | --- |");
const rows: Array<[string, string, string]> = [
  [
    "invocations",
    `${fmt(measured.invocations, 3)} (${fmt(done / run.invocations, 2)} records each)`,
    `${fmt(run.invocations)} invocations`,
  ],
  [
    "billed duration per invocation",
    `${fmt(billedMsPerInvocation)} ms (p50 ${fmt(at(0.5))}, p95 ${fmt(at(0.95))})`,
    "handler timed per invocation, each rounded up to 1 ms",
  ],
  ["SQS requests: producer", fmt(perMessage(sqsParts.producer), 3), commands(sqs.producer)],
  [
    "SQS requests: event source mapping",
    fmt(perMessage(sqsParts.eventSource), 3),
    `${commands(sqs.eventSource)}; empty receives left out`,
  ],
  ["SQS requests: handler", fmt(perMessage(sqsParts.handler), 3), commands(sqs.handler)],
  [
    "DynamoDB writes (UpdateItem)",
    `${fmt(perMessage(writes), 3)} × ${unitsPerWrite} WRU`,
    `${fmt(writes)} writes (${fmt(run.dynamoDb.total("failed"))} failed conditions); items ≤ ${fmt(run.ledgerItemBytes.max)} B (mean ${fmt(run.ledgerItemBytes.mean)})`,
  ],
  ["DynamoDB reads (GetItem, consistent)", fmt(perMessage(reads), 3), `${fmt(reads)} reads`],
  [
    "log bytes",
    `${fmt(measured.logBytes)} B`,
    `handler ${fmt(perMessage(run.logs.handler.bytes))} B in ${fmt(perMessage(run.logs.handler.lines), 2)} lines, EMF ${fmt(perMessage(run.logs.emf.bytes))} B, Lambda's platform lines ${fmt(perMessage(platformBytes * run.invocations))} B, ${LOG_EVENT_OVERHEAD_BYTES} B per event ${fmt(perMessage(LOG_EVENT_OVERHEAD_BYTES * logEvents))} B`,
  ],
  [
    "X-Ray traces",
    fmt(measured.traces, 3),
    `${fmt(100 * sampledShare(invocationsPerSecond))} % of invocations at ${fmt(invocationsPerSecond, 2)} invocations/s (1 a second + 5 % of the rest)`,
  ],
];
for (const [name, value, from] of rows) console.log(`| ${name} | ${value} | ${from} |`);

/** One run of the bundled handler: under which heap limits, with how much metadata. */
interface MemoryCase {
  name: string;
  memoryMb: number | undefined;
  metadataBytes: number;
  run?: MemoryRun;
}
const memoryCases: MemoryCase[] =
  MEMORY_MESSAGES > 0
    ? [
        { name: "Node's own heap limits", memoryMb: undefined, metadataBytes: 16 * 1024 },
        ...MEMORY_SIZES.map((memoryMb) => ({
          name: `Lambda's at ${memoryMb} MB`,
          memoryMb,
          metadataBytes: 16 * 1024,
        })),
        // The CPU time of the cost run's own updates, for the worst case below.
        {
          name: `Lambda's at ${stack.memorySizeMb} MB`,
          memoryMb: stack.memorySizeMb,
          metadataBytes: METADATA_BYTES,
        },
      ]
    : [];
if (memoryCases.length > 0) {
  console.log(
    `\nthe bundled handler (cdk synth's asset) in a child process: ${fmt(MEMORY_MESSAGES)} updates a run, batches of ${stack.batchSize}, all records of a batch in flight at once (concurrency 10, no pace), ledger on, 1 % unknown orders (dead-lettered)`,
  );
  const assembly = synthesize();
  try {
    for (const memoryCase of memoryCases) {
      memoryCase.run = await measureBundledHandler({
        assembly,
        messages: MEMORY_MESSAGES,
        metadataBytes: memoryCase.metadataBytes,
        latencyMs: LATENCY_MS,
        lambdaMemoryMb: memoryCase.memoryMb,
        // All records of a batch at once, paced only by Spot: the most one invocation holds.
        overrides: { SPOT_META_CONCURRENCY: "10", SPOT_META_REQUESTS_PER_SECOND: "1000" },
      });
    }
  } finally {
    assembly.remove();
  }
  console.log(
    "\n| V8 heap limits | metadata | invocations | peak RSS | peak heap used | CPU per invocation | X-Ray segments per invocation |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const { name, metadataBytes, run: r } of memoryCases) {
    if (r === undefined) continue;
    console.log(
      `| ${name} | ${fmt(metadataBytes / 1024, 1)} KiB | ${fmt(r.invocations)} in ${fmt(r.seconds, 1)} s | ${fmt(r.peakRssMb)} MB | ${fmt(r.peakHeapUsedMb)} MB | ${fmt(r.cpuMsPerInvocation, 1)} ms | ${fmt(r.segmentsPerInvocation, 1)} |`,
    );
  }
}

// The CPU time of the last case: the cost run's own updates.
const cpuMs = memoryCases.at(-1)?.run?.cpuMsPerInvocation;
const sizes = [...new Set([...MEMORY_SIZES, stack.memorySizeMb])].sort((a, b) => a - b);
console.log(
  `\ncost per million updates (us-east-1, arm64, on-demand; configured memory ${stack.memorySizeMb} MB):\n`,
);
console.log(
  "| memory | Lambda GB-s | Lambda requests | DynamoDB writes | DynamoDB reads | SQS | CloudWatch Logs | X-Ray | total | ≤ $2.00 | worst case, CPU stretched | peak RSS, 16 KiB |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
const usd = (n: number) => `$${n.toFixed(2)}`;
for (const memoryMb of sizes) {
  const cost = costPerMillion(measured, memoryMb);
  const worst =
    cpuMs === undefined
      ? undefined
      : costPerMillion(
          { ...measured, billedMsPerInvocation: worstCaseBilledMs(billedMsPerInvocation, cpuMs, memoryMb) },
          memoryMb,
        );
  const peak = memoryCases.find((m) => m.memoryMb === memoryMb && m.metadataBytes === 16 * 1024)?.run
    ?.peakRssMb;
  console.log(
    `| ${memoryMb} MB${memoryMb === stack.memorySizeMb ? " (configured)" : ""} | ${usd(cost.lambdaCompute)} | ${usd(cost.lambdaRequests)} | ${usd(cost.dynamoWrites)} | ${usd(cost.dynamoReads)} | ${usd(cost.sqs)} | ${usd(cost.logs)} | ${usd(cost.xray)} | **${usd(cost.total)}** | ${cost.total <= TARGET_PER_MILLION ? "met" : "MISSED"} | ${worst === undefined ? "—" : usd(worst.total)} | ${peak === undefined ? "—" : `${fmt(peak)} MB${peak > memoryMb ? " (does not fit)" : ""}`} |`,
  );
}
const everyTraced = costPerMillion({ ...measured, traces: measured.invocations }, stack.memorySizeMb);
console.log(
  `\nX-Ray: at ${fmt(invocationsPerSecond, 2)} invocations/s (the stack's ${INSTANCES} instances, busy) it traces ${fmt(100 * sampledShare(invocationsPerSecond))} %; with thin traffic (≤ 1 invocation/s) every invocation: ${usd(everyTraced.xray)} a million, ${usd(everyTraced.total)} in all at ${stack.memorySizeMb} MB. Without active tracing: ${usd(everyTraced.total - everyTraced.xray)}.`,
);
if (cpuMs !== undefined) {
  console.log(
    `\nworst case: each invocation's billed duration plus its CPU time (${fmt(cpuMs, 1)} ms on one core here) stretched by 1,769 MB / memory, as if none of it overlapped the waits for Spot and the pacer. Peak RSS: 16 KiB of metadata, Lambda's heap limits for that size. The bundled runs trace every invocation, as Lambda's active tracing does when it samples one.`,
  );
}
