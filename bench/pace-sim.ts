/**
 * bench:pace's workload in virtual time, with the real pacer and no CPU to share: what a pace does
 * when the machine is not in the way (bench/support/pace-sim-run.ts says what is modelled). Prints
 * bench:pace's figures per phase for 2, 6 and 12 instances; seeded, so a run is reproducible.
 *
 *   npx node bench/pace-sim.ts [--instances 2,6,12] [--limit 40] [--ceiling 250] [--concurrency 5]
 *     [--ledger-ms 15] [--latency 20] [--retries 2] [--seed 1] [--trace]
 */
import { createAdaptivePacer } from "../lib/lambda/processor/pacer.ts";
import { acceptedPerSecond, percent, phasesOf, seconds } from "./support/pace-figures.ts";
import { simulatePace } from "./support/pace-sim-run.ts";
import { fmt, listFlag, numberFlag } from "./support/pipeline-run.ts";
import { seedRandom } from "./support/virtual-time.ts";

const INSTANCES = listFlag("instances", ["2", "6", "12"]).map(Number);
const LIMIT = numberFlag("limit", 40);
const CEILING = numberFlag("ceiling", 250);
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
  retries: numberFlag("retries", 2),
  batchGapMs: 30,
  startSpreadMs: 1500,
};

seedRandom(numberFlag("seed", 1));
console.log(
  `pace-sim: Spot ${PHASES.map((p) => `${p.limit}/s for ${p.seconds} s`).join(", then ")} (sliding second, Retry-After: 1); ${OPTIONS.concurrency} calls in flight, ledger ${OPTIONS.ledgerMs} ms × 2, Spot ${OPTIONS.latencyMs} ms, ${OPTIONS.retries} in-process retries of a 429; ceiling ${CEILING}/s\n`,
);
console.log(
  "| instances | phase | limit | accepted ÷ limit | refused ÷ calls | settled after | steady ÷ limit | steady refused | paces at the phase's end |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const instances of INSTANCES) {
  const trace = await simulatePace({
    ...OPTIONS,
    instances,
    phases: PHASES,
    makePacer: (_instance, clock) => createAdaptivePacer({ ceiling: CEILING, floor: 1 }, clock),
  });
  for (const p of phasesOf(trace, PHASES, instances)) {
    const paces = p.paces.map((pace) => (pace === undefined ? "–" : fmt(pace, 1))).join(" / ");
    console.log(
      `| ${instances} | ${p.index + 1} | ${p.limit}/s | ${fmt(p.ofLimit, 2)} | ${percent(p.refused)} | ${seconds(p.settledAfter)} | ${fmt(p.steadyOfLimit, 2)} | ${percent(p.steadyRefused)} | ${paces} |`,
    );
  }
  if (process.argv.includes("--trace")) console.log(`  accepted per second: ${acceptedPerSecond(trace, 70)}`);
}
