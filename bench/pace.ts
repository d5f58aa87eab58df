/**
 * Pace at Spot, measured as deployed: N separate `spot-meta worker` processes (one poller each, as N
 * Lambda instances, with the worker's batch window) consume the local stack's queue (fauxqs, the
 * ledger on dynalite) and call the Spot sandbox, which accepts at most R POSTs in any sliding 1000 ms
 * and answers 429 with `Retry-After: 1` past that. Every worker's ceiling is far above R. Spot's limit
 * holds for a first phase, then changes (R → 2R → R/2); each phase is counted from Spot's first
 * request. For each instance count the fixed pace (every worker at its ceiling) and the learned one
 * run the same workload, one after the other. Per phase: accepted ÷ R, refused ÷ calls, the time to
 * settle, the steady figures from then on, each worker's pace at the phase's end, and the machine's
 * idle CPU (2 cores shared with 12 workers is heavy: the CPU says how much of a shortfall is the
 * machine's).
 *
 *   npm run bench:pace -- [--instances 2,6,12] [--pacers fixed,learned] [--limit 40] [--ceiling 250]
 *     [--latency 20] [--retry-after 1] [--first-phase-seconds 30] [--phase-seconds 20]
 *     [--retry-max-delay-ms N] [--trace]
 *
 * `--retry-max-delay-ms`: the workers' SPOT_META_RETRY_MAX_DELAY_MS (default 2000): below Spot's
 * `Retry-After`, a refused call goes back to the queue instead of waiting in its invocation.
 */
import { cpus } from "node:os";
import { envName } from "../lib/lambda/config.ts";
import {
  acceptedPerSecond,
  missedTargets,
  type Phase,
  percent,
  phasesOf,
  SETTLE_WINDOW_MS,
  STRETCH,
  seconds,
  TARGETS,
} from "./support/pace-figures.ts";
import { type PaceRun, runPace } from "./support/pace-run.ts";
import { fmt, listFlag, numberFlag } from "./support/pipeline-run.ts";

const INSTANCES = listFlag("instances", ["2", "6", "12"]).map(Number);
const PACERS = listFlag("pacers", ["fixed", "learned"]);
const LIMIT = numberFlag("limit", 40);
const CEILING = numberFlag("ceiling", 250);
const LATENCY_MS = numberFlag("latency", 20);
const RETRY_AFTER = numberFlag("retry-after", 1);
const FIRST_PHASE_SECONDS = numberFlag("first-phase-seconds", 30);
const PHASE_SECONDS = numberFlag("phase-seconds", 20);
const TRACE = process.argv.includes("--trace");
const RETRY_MAX_DELAY_MS = numberFlag("retry-max-delay-ms", Number.NaN);
const SETTINGS = Number.isNaN(RETRY_MAX_DELAY_MS)
  ? {}
  : { [envName("retryMaxDelayMs")]: String(RETRY_MAX_DELAY_MS) };
const PHASES = [
  { limit: LIMIT, seconds: FIRST_PHASE_SECONDS },
  { limit: LIMIT * 2, seconds: PHASE_SECONDS },
  { limit: LIMIT / 2, seconds: PHASE_SECONDS },
];

console.log(
  [
    `bench:pace: ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    `  Spot (the sandbox): at most ${PHASES.map((p) => `${p.limit}/s for ${p.seconds} s`).join(", then ")} in any sliding 1000 ms (from its first request), 429 ${RETRY_AFTER > 0 ? `with Retry-After: ${RETRY_AFTER}` : "without Retry-After"} past it; answers after ${LATENCY_MS} ms`,
    `  separate \`spot-meta worker\` processes, 1 poller each (batches of 10 within 1 s); handler defaults but SPOT_META_REQUESTS_PER_SECOND=${CEILING}${Number.isNaN(RETRY_MAX_DELAY_MS) ? "" : ` and SPOT_META_RETRY_MAX_DELAY_MS=${RETRY_MAX_DELAY_MS}`}; the ledger on`,
    "",
    "| instances | pacer | phase | limit | accepted ÷ limit | refused ÷ calls | settled after | steady ÷ limit | steady refused | paces at the phase's end | CPU idle / workers / stack / other |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ].join("\n"),
);

const missed: string[] = [];
const notes: string[] = [];
for (const instances of INSTANCES) {
  for (const pacer of PACERS) {
    const run = await runPace({
      instances,
      adaptive: pacer === "learned",
      ceiling: CEILING,
      phases: PHASES,
      retryAfterSeconds: RETRY_AFTER > 0 ? RETRY_AFTER : undefined,
      latencyMs: LATENCY_MS,
      settings: SETTINGS,
    });
    const phases = phasesOf(run, PHASES, instances);
    for (const phase of phases) console.log(row(instances, pacer, phase));
    const label = `${instances} instances, ${pacer}`;
    notes.push(runNote(label, run));
    if (TRACE)
      notes.push(`  accepted per second: ${acceptedPerSecond(run, FIRST_PHASE_SECONDS + 2 * PHASE_SECONDS)}`);
    if (run.dead.length > 0) missed.push(`${label}: ${run.dead.length} dead-lettered`);
    if (pacer === "learned")
      for (const phase of phases) missed.push(...missedTargets(`${label}, phase ${phase.index + 1}`, phase));
  }
}

console.log(`\n${notes.join("\n")}`);
console.log(
  [
    "",
    `targets (learned): in every steady phase ≥ ${TARGETS.ofLimit} × the limit with ≤ ${TARGETS.refused * 100} % of calls refused (stretch: ${STRETCH.ofLimit} and ${STRETCH.refused * 100} %); settled within ${TARGETS.settleSeconds} s after a change; nothing dead-lettered.`,
    `settled after: from the phase's start, the first ${SETTLE_WINDOW_MS / 1000}-s window with ≥ ${TARGETS.ofLimit} × the limit accepted and ≤ ${TARGETS.refused * 100} % refused; steady: from then to the phase's end. Paces: each worker's PacePerSecond after its last invocation in the phase. CPU: shares of all cores over the phase: idle, the workers' processes, the local stack's (this process: SQS, DynamoDB, Spot), everything else on the machine.`,
    missed.length === 0 ? "all targets met" : `MISSED:\n- ${missed.join("\n- ")}`,
  ].join("\n"),
);

function row(instances: number, pacer: string, p: Phase): string {
  const paces = p.paces.map((pace) => (pace === undefined ? "–" : fmt(pace, 1))).join(" / ");
  const c = p.cpu;
  const cpu =
    c === undefined ? "–" : [c.idle, c.workers, c.stack, c.others].map((s) => fmt(s * 100)).join(" / ");
  return `| ${instances} | ${pacer} | ${p.index + 1} | ${p.limit}/s | ${fmt(p.ofLimit, 2)} | ${percent(p.refused)} | ${seconds(p.settledAfter)} | ${fmt(p.steadyOfLimit, 2)} | ${percent(p.steadyRefused)} | ${paces} | ${cpu} % |`;
}

function runNote(label: string, run: PaceRun): string {
  const t = run.tally;
  const outcomes = [...t.byOutcome].map(([name, n]) => `${name} ${fmt(n)}`).join(", ");
  const handBacks = [...t.handBacksByCause].map(([name, n]) => `${name} ${fmt(n)}`).join(", ");
  const problems = [...run.stderr, ...t.unparsed].slice(0, 5);
  return [
    `${label}: workers polling after ${fmt(run.startSeconds, 1)} s; ${fmt(run.sent)} updates sent in ${fmt(run.sendSeconds, 1)} s; ${fmt(run.requests.length)} POSTs; ${fmt(t.invocations)} invocations; outcome lines: ${outcomes || "none"}${handBacks ? ` (hand-backs: ${handBacks})` : ""}; dead-lettered ${run.dead.length}`,
    ...problems.map((line) => `  ${line}`),
  ].join("\n");
}
