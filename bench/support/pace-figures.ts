/**
 * The pace benchmark's figures (bench/pace.ts), per phase of Spot's limit, from Spot's side (the
 * sandbox's log of POSTs) and the workers' (their `PacePerSecond`), and what the machine had left.
 */
import type { CpuSampler, CpuShares } from "./cpu-sampler.ts";
import type { PaceRun } from "./pace-run.ts";

/** What the figures read of a run: Spot's log of POSTs, the workers' paces, the CPU if sampled. */
export type PaceTrace = Pick<PaceRun, "startedAt" | "requests" | "paces"> & { cpu?: CpuSampler };

import { fmt } from "./pipeline-run.ts";

export const TARGETS = { ofLimit: 0.9, refused: 0.1, settleSeconds: 10 };
export const STRETCH = { ofLimit: 0.95, refused: 0.05 };
/** A phase has settled from the first window this long with its pace near the limit and few refused. */
export const SETTLE_WINDOW_MS = 2_000;
const SETTLE_STEP_MS = 100;

export interface Phase {
  index: number;
  limit: number;
  from: number;
  to: number;
  /** Calls Spot accepted per second over the whole phase, ÷ its limit. */
  ofLimit: number;
  /** Refused ÷ calls, over the whole phase. */
  refused: number;
  calls: number;
  /** Seconds from the phase's start to its first settled window; undefined if none. */
  settledAfter: number | undefined;
  /** From the first settled window (or, when none, the phase's start) to its end. */
  steadyOfLimit: number;
  steadyRefused: number;
  /** Each worker's last pace at or before the phase's end (undefined: no invocation yet). */
  paces: Array<number | undefined>;
  cpu: CpuShares | undefined;
}

/** The figures of each phase of a run. */
export function phasesOf(
  run: PaceTrace,
  limits: Array<{ limit: number; seconds: number }>,
  instances: number,
): Phase[] {
  let from = run.startedAt;
  return limits.map(({ limit, seconds }, index) => {
    const to = from + seconds * 1000;
    const phase = phaseOf(run, { index, limit, from, to }, instances);
    from = to;
    return phase;
  });
}

function phaseOf(
  run: PaceTrace,
  span: { index: number; limit: number; from: number; to: number },
  instances: number,
): Phase {
  const { limit, from, to } = span;
  const calls = run.requests.filter((r) => r.receivedAt >= from && r.receivedAt < to);
  const settledAt = firstSettledWindow(calls, span);
  const whole = figures(calls, from, to, limit);
  const steady = figures(calls, settledAt ?? from, to, limit);
  return {
    ...span,
    ofLimit: whole.ofLimit,
    refused: whole.refused,
    calls: calls.length,
    settledAfter: settledAt === undefined ? undefined : (settledAt - from) / 1000,
    steadyOfLimit: steady.ofLimit,
    steadyRefused: steady.refused,
    paces: pacesAt(run, to, instances),
    cpu: run.cpu?.sharesBetween(from, to),
  };
}

type Calls = PaceRun["requests"];

function figures(calls: Calls, start: number, to: number, limit: number) {
  const inSpan = calls.filter((r) => r.receivedAt >= start);
  const accepted = inSpan.filter((r) => !r.refused).length;
  const spanSeconds = Math.max(0.001, (to - start) / 1000);
  return {
    ofLimit: accepted / spanSeconds / limit,
    refused: inSpan.length === 0 ? 0 : (inSpan.length - accepted) / inSpan.length,
  };
}

/** The start of the first window with ≥ 0.9 × the limit accepted and ≤ 10 % refused. */
function firstSettledWindow(calls: Calls, { limit, from, to }: { limit: number; from: number; to: number }) {
  for (let start = from; start + SETTLE_WINDOW_MS <= to; start += SETTLE_STEP_MS) {
    const window = calls.filter((r) => r.receivedAt >= start && r.receivedAt < start + SETTLE_WINDOW_MS);
    const accepted = window.filter((r) => !r.refused).length;
    const enough = accepted >= TARGETS.ofLimit * limit * (SETTLE_WINDOW_MS / 1000);
    if (enough && window.length - accepted <= TARGETS.refused * window.length) return start;
  }
  return undefined;
}

/** Each worker's pace after its last invocation at or before `at`. */
function pacesAt(run: PaceTrace, at: number, instances: number): Array<number | undefined> {
  const last = new Array<number | undefined>(instances).fill(undefined);
  for (const { worker, at: when, perSecond } of run.paces) if (when <= at) last[worker] = perSecond;
  return last;
}

/** Accepted calls in each second of the phases, from their start, for the trace (`--trace`). */
export function acceptedPerSecond(run: PaceTrace, totalSeconds: number): string {
  const seconds = new Array<number>(totalSeconds).fill(0);
  for (const r of run.requests) {
    const second = Math.floor((r.receivedAt - run.startedAt) / 1000);
    if (!r.refused && second >= 0 && second < totalSeconds) seconds[second] = (seconds[second] ?? 0) + 1;
  }
  return seconds.join(" ");
}

/** What a learned-pace phase missed of the targets. */
export function missedTargets(label: string, phase: Phase): string[] {
  const missed: string[] = [];
  if (phase.steadyOfLimit < TARGETS.ofLimit)
    missed.push(`${label}: steady ${fmt(phase.steadyOfLimit, 2)} × the limit`);
  if (phase.steadyRefused > TARGETS.refused)
    missed.push(`${label}: steady ${percent(phase.steadyRefused)} refused`);
  if (phase.settledAfter === undefined) missed.push(`${label}: never settled`);
  else if (phase.index > 0 && phase.settledAfter > TARGETS.settleSeconds)
    missed.push(`${label}: settled after ${fmt(phase.settledAfter, 1)} s`);
  return missed;
}

export function percent(share: number): string {
  return `${fmt(share * 100, 1)} %`;
}

export function seconds(value: number | undefined): string {
  return value === undefined ? "never" : `${fmt(value, 1)} s`;
}
