/**
 * Throughput benchmark of the pipeline: N updates through the local stack (fauxqs, the real handler
 * under the queue poller, the Spot sandbox answering after a fixed latency L), with messages/s,
 * the calls the sandbox received and the most it received in any 1-s window. In the same run, on the
 * same workload, two baselines made by configuring the real processor:
 * - sequential: concurrency 1 (a batch's records one after another);
 * - unbounded: concurrency 100 and 1,000 requests/s (the most the configuration allows), so every
 *   record of a batch is sent at once.
 *
 *   npx node bench/pipeline.ts [--messages 2000] [--latency 50] [--concurrency 10] [--rps 250] [--repeat 1]
 *     [--fixed-pace]
 *
 * By default each instance learns its pace below the configured one, as deployed (a slow start from a
 * tenth of it); `--fixed-pace` holds the configured pace from the first call, which shows the
 * batch path alone.
 *
 * Targets (per poller, one poller = one Lambda instance): ≥ 90 % of the C / L ceiling, ≥ 8× the
 * sequential baseline, and never more than the configured requests/s at the sandbox.
 */
import { cpus } from "node:os";
import type { HandlerConfigInput } from "../lib/lambda/config.ts";
import { fmt, numberFlag, type PipelineRun, range, runPipeline } from "./support/pipeline-run.ts";

const MESSAGES = numberFlag("messages", 2_000);
const LATENCY_MS = numberFlag("latency", 50);
const CONCURRENCY = numberFlag("concurrency", 10);
const RPS = numberFlag("rps", 250);
/** A configured pace below the C / L ceiling, to see the pacer hold it. */
const PACED_RPS = numberFlag("paced-rps", 100);
const REPEAT = numberFlag("repeat", 1);
const ADAPTIVE_PACE = !process.argv.includes("--fixed-pace");
/** The sequential baseline is 20 messages/s at 50 ms: a tenth of the messages tells it well enough. */
const SEQUENTIAL_MESSAGES = Math.max(100, Math.round(MESSAGES / 10));
const TARGETS = { ofCeiling: 0.9, timesSequential: 8 };

interface Scenario {
  name: string;
  messages: number;
  handler: Partial<HandlerConfigInput>;
  ledger: boolean;
  /** The configured requests/s the sandbox must never see exceeded (undefined: no bound to check). */
  bound?: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: "sequential baseline (C=1)",
    messages: SEQUENTIAL_MESSAGES,
    handler: { concurrency: 1, requestsPerSecond: 1000 },
    ledger: false,
  },
  {
    name: "unbounded baseline (C=100, 1000/s)",
    messages: MESSAGES,
    handler: { concurrency: 100, requestsPerSecond: 1000 },
    ledger: false,
  },
  {
    name: `pipeline (C=${CONCURRENCY}, ${RPS}/s)`,
    messages: MESSAGES,
    handler: { concurrency: CONCURRENCY, requestsPerSecond: RPS },
    ledger: false,
    bound: RPS,
  },
  {
    name: `pipeline + ledger (C=${CONCURRENCY}, ${RPS}/s)`,
    messages: MESSAGES,
    handler: { concurrency: CONCURRENCY, requestsPerSecond: RPS },
    ledger: true,
    bound: RPS,
  },
  {
    name: `paced below the ceiling (C=${CONCURRENCY}, ${PACED_RPS}/s)`,
    messages: Math.round(MESSAGES / 2),
    handler: { concurrency: CONCURRENCY, requestsPerSecond: PACED_RPS },
    ledger: false,
    bound: PACED_RPS,
  },
];

console.log(
  `pipeline benchmark: ${cpus().length} cores, Node ${process.version}; ${fmt(MESSAGES)} messages, sandbox latency ${LATENCY_MS} ms, batch 10, 1 poller, ${ADAPTIVE_PACE ? "learned" : "fixed"} pace, ${REPEAT} round(s)`,
);
const results = new Map<string, PipelineRun[]>(SCENARIOS.map((s) => [s.name, []]));
for (let round = 1; round <= REPEAT; round++) {
  for (const scenario of SCENARIOS) {
    const run = await runPipeline({
      messages: scenario.messages,
      faults: { latencyMs: LATENCY_MS },
      handler: { ...scenario.handler, adaptivePace: ADAPTIVE_PACE },
      ledger: scenario.ledger,
    });
    results.get(scenario.name)?.push(run);
    console.log(
      `  [${round}] ${scenario.name}: ${fmt(run.messagesPerSecond, 1)} msg/s, ${fmt(run.calls)} calls, max ${fmt(run.maxRequestsPerSecond)} req/s${run.finished ? "" : " (TIMED OUT)"}`,
    );
  }
}

const ceiling = (CONCURRENCY * 1000) / LATENCY_MS;
const rates = (name: string) => (results.get(name) ?? []).map((r) => r.messagesPerSecond);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const sequential = median(rates(SCENARIOS[0]?.name ?? ""));

console.log("\n| scenario | messages/s | % of C/L | × sequential | calls | max req/s in 1 s | bound |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const scenario of SCENARIOS) {
  const runs = results.get(scenario.name) ?? [];
  const perSecond = runs.map((r) => r.messagesPerSecond);
  const scenarioCeiling = Math.min(
    // A batch holds 10 records: more concurrency than that cannot be used.
    (Math.min(10, scenario.handler.concurrency as number) * 1000) / LATENCY_MS,
    scenario.bound ?? Number.POSITIVE_INFINITY,
  );
  const maxSeen = Math.max(...runs.map((r) => r.maxRequestsPerSecond));
  console.log(
    `| ${scenario.name} | ${range(perSecond, 1)} | ${range(
      perSecond.map((r) => (100 * r) / scenarioCeiling),
    )} % | ${range(
      perSecond.map((r) => r / sequential),
      1,
    )} | ${range(runs.map((r) => r.calls))} | ${fmt(maxSeen)} | ${
      scenario.bound === undefined
        ? "—"
        : `≤ ${scenario.bound}: ${maxSeen <= scenario.bound ? "met" : "MISSED"}`
    } |`,
  );
}

const main = median(rates(SCENARIOS[2]?.name ?? ""));
console.log(
  `\ntargets (median of ${REPEAT}): ≥ ${TARGETS.ofCeiling * 100} % of C/L = ${fmt(ceiling)} msg/s → ${fmt((100 * main) / ceiling)} % (${main >= TARGETS.ofCeiling * ceiling ? "met" : "MISSED"}); ≥ ${TARGETS.timesSequential}× sequential → ${fmt(main / sequential, 1)}× (${main >= TARGETS.timesSequential * sequential ? "met" : "MISSED"})`,
);
