/**
 * bench:pace's workload in virtual time, with the real pacer and no CPU to share: what a pace does
 * when the machine is not in the way (bench/support/pace-sim-run.ts says what is modelled). Prints
 * bench:pace's figures per phase for 2, 6 and 12 instances: averaged over the seeds (the least in
 * brackets), so a run is reproducible and one seed's luck does not decide.
 *
 *   npx node bench/pace-sim.ts [--instances 2,6,12] [--limit 40] [--ceiling 250] [--concurrency 5]
 *     [--ledger-ms 15] [--latency 20] [--retries 2] [--random-429 0] [--seeds 1,2,3,4,5,6]
 *     [--alone] [--trace]
 *
 * The instances share one pace through a record answered in 10 ms (in memory, as the ledger's
 * DynamoDB item would), as instances with the ledger do; `--alone`: each learns alone, as without
 * the ledger (the pace of before). `--retries 0`: a refused call goes back to the queue at once
 * instead of waiting its `Retry-After` in its invocation.
 */
import { createAdaptivePacer } from "../lib/lambda/processor/pacer.ts";
import { MemoryPaceStore } from "./support/memory-pace-store.ts";
import { acceptedPerSecond, type Phase, phasesOf } from "./support/pace-figures.ts";
import { simulatePace } from "./support/pace-sim-run.ts";
import { fmt, listFlag, numberFlag } from "./support/pipeline-run.ts";
import { seedRandom } from "./support/virtual-time.ts";

const INSTANCES = listFlag("instances", ["2", "6", "12"]).map(Number);
const SEEDS = listFlag("seeds", ["1", "2", "3", "4", "5", "6"]).map(Number);
const LIMIT = numberFlag("limit", 40);
const CEILING = numberFlag("ceiling", 250);
const ALONE = process.argv.includes("--alone");
const PHASES = [
  { limit: LIMIT, seconds: 30 },
  { limit: LIMIT * 2, seconds: 20 },
  { limit: LIMIT / 2, seconds: 20 },
];
const OPTIONS = {
  concurrency: numberFlag("concurrency", 5),
  ledgerMs: numberFlag("ledger-ms", 15),
  latencyMs: numberFlag("latency", 20),
  retryAfterMs: 1000,
  retries: numberFlag("retries", 0),
  batchGapMs: 30,
  startSpreadMs: 1500,
  random429: numberFlag("random-429", 0),
};

console.log(
  [
    `pace-sim: Spot ${PHASES.map((p) => `${p.limit}/s for ${p.seconds} s`).join(", then ")} (sliding second, Retry-After: 1); ${OPTIONS.random429 * 100} % of calls refused at random`,
    `  ${OPTIONS.concurrency} calls in flight, ledger ${OPTIONS.ledgerMs} ms × 2, Spot ${OPTIONS.latencyMs} ms, ${OPTIONS.retries} in-process retries of a 429; ceiling ${CEILING}/s; ${ALONE ? "each instance learns alone" : "one pace shared"}; seeds ${SEEDS.join(", ")}`,
    "",
    "| instances | phase | limit | steady ÷ limit | steady refused | settled after | writes to the record per call |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ].join("\n"),
);
for (const instances of INSTANCES) {
  const runs: Phase[][] = [];
  let writesPerCall = 0;
  for (const seed of SEEDS) {
    seedRandom(seed);
    const store = new MemoryPaceStore(10);
    const trace = await simulatePace({
      ...OPTIONS,
      instances,
      phases: PHASES,
      makePacer: (instance, clock) =>
        createAdaptivePacer(
          { ceiling: CEILING, floor: 1 },
          clock,
          ALONE ? undefined : { store, instance: `instance-${instance}` },
        ),
    });
    runs.push(phasesOf(trace, PHASES, instances));
    writesPerCall += store.writes / trace.requests.length / SEEDS.length;
    if (process.argv.includes("--trace"))
      console.log(`  seed ${seed}, accepted per second: ${acceptedPerSecond(trace, 70)}`);
  }
  PHASES.forEach((phase, i) => {
    const of = (pick: (p: Phase) => number) => runs.map((run) => pick(run[i] as Phase));
    const steady = of((p) => p.steadyOfLimit);
    console.log(
      `| ${instances} | ${i + 1} | ${phase.limit}/s | ${fmt(mean(steady), 2)} (${fmt(Math.min(...steady), 2)}) | ${fmt(100 * mean(of((p) => p.steadyRefused)), 1)} % | ${settled(of((p) => p.settledAfter ?? Number.NaN))} | ${i === 0 ? fmt(writesPerCall, 2) : ""} |`,
    );
  });
}
console.log(
  "\nsteady ÷ limit: the mean over the seeds (the least); settled after: the mean (the longest), or how many seeds never settled.",
);

function settled(values: number[]): string {
  const never = values.filter(Number.isNaN).length;
  if (never > 0) return `never in ${never} of ${values.length}`;
  return `${fmt(mean(values), 1)} s (${fmt(Math.max(...values), 1)} s)`;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
