/**
 * The long soak: 10,000 updates (in ten waves) through the local stack with the ledger on, 30 % of
 * Spot's answers a transient fault of every kind the sandbox has (late writes, lost answers and junk
 * 200s included), 2.5 % invalid updates, crashing invocations, several updates per order sent out of
 * order. Prints the outcome counts, the stale orders, the checks and heapUsed after a GC at 20 %,
 * 50 % and the end. Minutes, not in CI (test/soak is the short one).
 *
 *   npm run soak                     (node --expose-gc bench/soak.ts)
 *   npx node --expose-gc bench/soak.ts --messages 10000 --seed 1
 */
import { cpus } from "node:os";
import { fmt, numberFlag } from "./support/pipeline-run.ts";
import { runSoak } from "./support/soak-run.ts";

const MESSAGES = numberFlag("messages", 10_000);
const SEED = numberFlag("seed", 1);
/** heapUsed at the end may exceed the 20 % sample by this much before it counts as growth. */
const GROWTH_ALLOWANCE_MB = 10;

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.warn("run with --expose-gc (npm run soak does) for heap figures after a GC");
}
console.log(`soak: ${cpus().length} cores, Node ${process.version}; ${fmt(MESSAGES)} updates, seed ${SEED}`);
const report = await runSoak({
  messages: MESSAGES,
  seed: SEED,
  waves: 10,
  sampleMemory: true,
  timeoutMs: 900_000,
  onProgress: (line) => console.log(line),
});
console.log(`\nfinished in ${fmt(report.seconds, 1)} s (${fmt(report.sent / report.seconds, 1)} updates/s)`);
console.log(
  `sent ${fmt(report.sent)} = applied ${fmt(report.applied)} + superseded ${fmt(report.superseded)} + dead-lettered ${fmt(report.deadLettered)} (${fmt(report.deadLetterCopies)} copies in the DLQ)`,
);
console.log(
  `calls to Spot ${fmt(report.calls)}, faults injected ${fmt(report.faultsInjected)} (${fmt((100 * report.faultsInjected) / report.calls, 1)} %), crashed invocations ${fmt(report.crashes)}`,
);
console.log(
  `writes that landed under a fault ${fmt(report.writesUnderFaults)} (${fmt(report.lateWrites)} of them after the client gave up)`,
);
console.log(`stale orders (Spot does not hold the newest valid update): ${fmt(report.staleOrders)}`);
console.log("dead letters by reason:");
for (const [reason, count] of Object.entries(report.deadLetteredBy)) console.log(`  ${reason}: ${count}`);
console.log(
  `heapUsed after GC: ${report.memory.map((m) => `${m.at} ${fmt(m.heapUsedMb, 1)} MB`).join(", ")}`,
);
const first = report.memory[0]?.heapUsedMb ?? 0;
const last = report.memory.at(-1)?.heapUsedMb ?? 0;
const grew = last - first > GROWTH_ALLOWANCE_MB;
if (grew) report.problems.push(`heapUsed grew from ${fmt(first, 1)} MB to ${fmt(last, 1)} MB`);
if (report.problems.length === 0)
  console.log(
    "\nall checks passed: nothing lost, right reasons, no stale order, no older update applied after a newer one was recorded, flat memory",
  );
else {
  console.log(`\n${report.problems.length} problems:`);
  for (const problem of report.problems.slice(0, 50)) console.log(`  - ${problem}`);
  process.exitCode = 1;
}
