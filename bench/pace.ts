/**
 * Pace at Spot: the sandbox answers 429 past R requests per second (with and without `Retry-After`)
 * while each instance is configured to go five times faster. Each instance (a poller with a handler
 * and a pacer of its own, as each Lambda instance has) should learn its share: near R together, few
 * calls refused, nothing dead-lettered. Then Spot's limit changes mid-run (R → 2R → R/2), and the
 * pipeline should follow within seconds. The fixed pacer of before (`adaptivePace: false`) runs the
 * same workloads as the baseline.
 *
 *   npx node bench/pace.ts [--messages 1000] [--limit 50] [--latency 20] [--rps 250] [--phase-seconds 20]
 */
import { cpus } from "node:os";
import { fmt, numberFlag, type PipelineRun, runPipeline } from "./support/pipeline-run.ts";

const MESSAGES = numberFlag("messages", 1_000);
const LIMIT = numberFlag("limit", 50);
const LATENCY_MS = numberFlag("latency", 20);
const RPS = numberFlag("rps", 250);
const PHASE_SECONDS = numberFlag("phase-seconds", 20);
const INSTANCES = [2, 4];
const CHANGING_LIMITS = [LIMIT, LIMIT * 2, LIMIT / 2];
const CHANGE_INSTANCES = 2;
const TARGETS = { ofLimit: 0.9, refused: 0.1, settleSeconds: 10 };
const STRETCH = { ofLimit: 0.95, refused: 0.05 };
/** The window a phase counts as settled from: its pace near the limit and few calls refused. */
const SETTLE_WINDOW_MS = 2_000;
/** The last messages of a run trickle in after their waits: not a steady phase. */
const DRAIN_TAIL = 0.05;

const ANSWERS = [
  { name: "429 with Retry-After: 1", retryAfterSeconds: 1 },
  { name: "429 without Retry-After", retryAfterSeconds: undefined },
];
const PACERS = [
  { name: "fixed (baseline)", adaptivePace: false },
  { name: "adaptive", adaptivePace: true },
];

interface Phase {
  limit: number;
  /** Accepted calls per second over the whole phase, ÷ the limit. */
  ofLimit: number;
  refused: number;
  /** Seconds from the phase's start until it met the targets over a 2-s window; undefined if never. */
  settledAfter: number | undefined;
  steadyOfLimit: number;
  steadyRefused: number;
}

console.log(
  `pace benchmark: ${cpus().length} cores, Node ${process.version}; Spot allows ${LIMIT}/s and answers after ${LATENCY_MS} ms; each instance configured for ${RPS}/s (10 calls in flight, batches of 10), no ledger`,
);

const missed: string[] = [];

console.log(`\nSteady limit: ${fmt(MESSAGES)} messages, Spot allows ${LIMIT}/s\n`);
console.log(
  "| instances | Spot's answer past the limit | pacer | applied | dead-lettered | messages/s | ÷ limit | calls | refused ÷ calls | settled after | steady ÷ limit | steady refused | paces at the end |",
);
console.log("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const instances of INSTANCES) {
  for (const answer of ANSWERS) {
    for (const pacer of PACERS) {
      const run = await runPipeline({
        messages: MESSAGES,
        faults: { latencyMs: LATENCY_MS, rateLimit: { perSecond: LIMIT, ...retryAfter(answer) } },
        handler: { concurrency: 10, requestsPerSecond: RPS, adaptivePace: pacer.adaptivePace },
        ledger: false,
        instances,
        timeoutMs: Math.max(60_000, (MESSAGES / LIMIT) * 4_000),
      });
      const accepted = run.requests.filter((r) => !r.refused).map((r) => r.receivedAt);
      const from = run.requests[0]?.receivedAt ?? 0;
      const to = accepted[Math.floor(accepted.length * (1 - DRAIN_TAIL))] ?? from;
      const phase = phaseOf(run, from, to, LIMIT);
      const label = `${instances} instances, ${answer.name}, ${pacer.name}`;
      const problems = checkRun(run, MESSAGES);
      if (pacer.adaptivePace) missed.push(...missedTargets(label, phase, false));
      missed.push(...problems.map((problem) => `${label}: ${problem}`));
      console.log(
        `| ${instances} | ${answer.name} | ${pacer.name} | ${fmt(run.tally.applied)} | ${fmt(run.tally.deadLettered)} | ${fmt(run.messagesPerSecond, 1)} | ${fmt(run.messagesPerSecond / LIMIT, 2)} | ${fmt(run.calls)} | ${percent(run.rateLimited / run.calls)} | ${seconds(phase.settledAfter)} | ${fmt(phase.steadyOfLimit, 2)} | ${percent(phase.steadyRefused)} | ${pacesAt(run, Number.POSITIVE_INFINITY)} |${problems.length > 0 ? ` MISSED: ${problems.join("; ")}` : ""}`,
      );
    }
  }
}

console.log(
  `\nSpot's limit changes: ${CHANGING_LIMITS.map((limit) => `${limit}/s`).join(" → ")}, ${PHASE_SECONDS} s each (from its first request); ${CHANGE_INSTANCES} instances\n`,
);
console.log(
  "| Spot's answer past the limit | pacer | phase | limit | ÷ limit | refused ÷ calls | settled after | steady ÷ limit | steady refused | paces at the end of the phase | dead-lettered |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
for (const answer of ANSWERS) {
  for (const pacer of PACERS) {
    const phaseMs = PHASE_SECONDS * 1000;
    const capacity = CHANGING_LIMITS.reduce((sum, limit) => sum + limit * PHASE_SECONDS, 0);
    const run = await runPipeline({
      // More than Spot would accept: the queue never runs dry.
      messages: Math.ceil(capacity * 1.2),
      faults: {
        latencyMs: LATENCY_MS,
        rateLimit: {
          perSecond: CHANGING_LIMITS[0] as number,
          ...retryAfter(answer),
          changes: CHANGING_LIMITS.slice(1).map((perSecond, i) => ({
            afterMs: (i + 1) * phaseMs,
            perSecond,
          })),
        },
      },
      handler: { concurrency: 10, requestsPerSecond: RPS, adaptivePace: pacer.adaptivePace },
      ledger: false,
      instances: CHANGE_INSTANCES,
      stopAfterMs: CHANGING_LIMITS.length * phaseMs + 2_000,
    });
    const start = run.requests[0]?.receivedAt ?? 0;
    CHANGING_LIMITS.forEach((limit, i) => {
      const from = start + i * phaseMs;
      const phase = phaseOf(run, from, from + phaseMs, limit);
      const label = `limit changes, ${answer.name}, ${pacer.name}, phase ${i + 1} (${limit}/s)`;
      if (pacer.adaptivePace) missed.push(...missedTargets(label, phase, i > 0));
      console.log(
        `| ${answer.name} | ${pacer.name} | ${i + 1} | ${limit}/s | ${fmt(phase.ofLimit, 2)} | ${percent(phase.refused)} | ${seconds(phase.settledAfter)} | ${fmt(phase.steadyOfLimit, 2)} | ${percent(phase.steadyRefused)} | ${pacesAt(run, from + phaseMs)} | ${i === 0 ? fmt(run.tally.deadLettered) : ""} |`,
      );
    });
    if (run.tally.deadLettered > 0)
      missed.push(`limit changes, ${answer.name}, ${pacer.name}: dead-lettered`);
  }
}

console.log(
  `\ntargets (adaptive): every message applied and none dead-lettered; in every steady phase ≥ ${TARGETS.ofLimit} × the limit with ≤ ${TARGETS.refused * 100} % of calls refused (stretch: ${STRETCH.ofLimit} and ${STRETCH.refused * 100} %); settled within ${TARGETS.settleSeconds} s after a change.`,
);
console.log(
  `settled after: from the phase's start, the first ${SETTLE_WINDOW_MS / 1000}-s window with ≥ ${TARGETS.ofLimit} × the limit accepted and ≤ ${TARGETS.refused * 100} % refused; steady: from then to the phase's end (a run's last ${DRAIN_TAIL * 100} % of messages, trickling in after their waits, left out). Paces: each instance's learned pace after its last invocation, calls/s.`,
);
console.log(missed.length === 0 ? "all targets met" : `MISSED:\n- ${missed.join("\n- ")}`);

function retryAfter(answer: (typeof ANSWERS)[number]): { retryAfterSeconds?: number } {
  return answer.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: answer.retryAfterSeconds };
}

/** The figures of the calls that reached Spot in [from, to). */
function phaseOf(run: PipelineRun, from: number, to: number, limit: number): Phase {
  const calls = run.requests.filter((r) => r.receivedAt >= from && r.receivedAt < to);
  const figures = (start: number) => {
    const inWindow = calls.filter((r) => r.receivedAt >= start);
    const accepted = inWindow.filter((r) => !r.refused).length;
    const spanSeconds = Math.max(0.001, (to - start) / 1000);
    return {
      ofLimit: accepted / spanSeconds / limit,
      refused: inWindow.length === 0 ? 0 : (inWindow.length - accepted) / inWindow.length,
    };
  };
  let settledAt: number | undefined;
  for (let start = from; start + SETTLE_WINDOW_MS <= to && settledAt === undefined; start += 100) {
    const window = calls.filter((r) => r.receivedAt >= start && r.receivedAt < start + SETTLE_WINDOW_MS);
    const accepted = window.filter((r) => !r.refused).length;
    const enough = accepted >= TARGETS.ofLimit * limit * (SETTLE_WINDOW_MS / 1000);
    if (enough && window.length - accepted <= TARGETS.refused * window.length) settledAt = start;
  }
  const whole = figures(from);
  const steady = figures(settledAt ?? from);
  return {
    limit,
    ofLimit: whole.ofLimit,
    refused: whole.refused,
    settledAfter: settledAt === undefined ? undefined : (settledAt - from) / 1000,
    steadyOfLimit: steady.ofLimit,
    steadyRefused: steady.refused,
  };
}

function missedTargets(label: string, phase: Phase, afterChange: boolean): string[] {
  const missed: string[] = [];
  if (phase.steadyOfLimit < TARGETS.ofLimit)
    missed.push(`${label}: steady ${fmt(phase.steadyOfLimit, 2)} × the limit`);
  if (phase.steadyRefused > TARGETS.refused)
    missed.push(`${label}: steady ${percent(phase.steadyRefused)} refused`);
  if (phase.settledAfter === undefined) missed.push(`${label}: never settled`);
  else if (afterChange && phase.settledAfter > TARGETS.settleSeconds)
    missed.push(`${label}: settled after ${phase.settledAfter} s`);
  return missed;
}

function checkRun(run: PipelineRun, messages: number): string[] {
  const problems: string[] = [];
  if (run.tally.deadLettered > 0) problems.push(`${run.tally.deadLettered} dead-lettered`);
  if (!run.finished || run.tally.applied !== messages) problems.push("not every message applied");
  return problems;
}

/** Each instance's pace after its last invocation before `at`. */
function pacesAt(run: PipelineRun, at: number): string {
  const last = new Map<number, number>();
  for (const { instance, at: when, perSecond } of run.paces) if (when <= at) last.set(instance, perSecond);
  return [...last.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, perSecond]) => fmt(perSecond, 1))
    .join(" / ");
}

function percent(share: number): string {
  return `${fmt(share * 100, 1)} %`;
}

function seconds(value: number | undefined): string {
  return value === undefined ? "never" : `${fmt(value, 1)} s`;
}
