/**
 * Decides, per request and in arrival order, which fault (if any) the sandbox injects and how long it
 * waits before answering. All randomness comes from seeded dice, so a run is reproducible.
 */
import type { Fault, FaultPlan, RateLimit } from "./types.ts";

/** A decision for one request: the fault to inject (or none) and the added latency. */
export interface FaultDecision {
  fault?: Fault;
  /** Set when the fault comes from the rate limit rather than the plan. */
  rateLimited?: boolean;
  /** Set when the fault comes from the plan's outage. */
  outage?: boolean;
  latencyMs: number;
}

/**
 * mulberry32: a tiny, fast, seedable generator; good enough for dice, not for secrets.
 * @returns a function giving floats in [0, 1).
 */
export function seededDice(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Holds the current plan and its consumable script; one per sandbox. */
export class FaultScheduler {
  #plan: FaultPlan = {};
  #script: Array<{ fault: Fault; publicId?: string }> = [];
  #windowStart = 0;
  #windowCount = 0;
  /** A sliding window's accepted arrivals in the last second, oldest first. */
  #accepted: number[] = [];
  /** The first request's arrival under the current plan: the rate limit's changes count from it. */
  #firstRequestAt: number | undefined;
  /** When the current plan was set: its outage counts from then. */
  #planSetAt = 0;
  // Two dice, so that turning latency on or off does not change which requests get faults.
  readonly #faultDice: () => number;
  readonly #latencyDice: () => number;

  constructor(seed: number, plan: FaultPlan = {}) {
    this.#faultDice = seededDice(seed);
    this.#latencyDice = seededDice(seed ^ 0x9e3779b9);
    this.setPlan(plan);
  }

  /**
   * Replaces the plan. The script is copied (the caller's array is left alone); the rate-limit
   * window restarts.
   * @throws {RangeError} when a rate, the latency, a window or a fault's status or delay is out of
   *   range: a typo should not pass silently.
   */
  setPlan(plan: FaultPlan): void {
    checkPlan(plan);
    this.#plan = plan;
    this.#planSetAt = Date.now();
    this.#script = [...(plan.script ?? [])];
    this.#windowStart = 0;
    this.#windowCount = 0;
    this.#accepted = [];
    this.#firstRequestAt = undefined;
  }

  /** Draws the decision for the request that just arrived (`method`: its HTTP method). */
  decide(publicId: string | undefined, now: number, method?: string): FaultDecision {
    this.#firstRequestAt ??= now;
    const latencyMs = this.#drawLatency();
    const outage = this.#plan.outage;
    if (method === "POST" && outage !== undefined) {
      const since = now - this.#planSetAt;
      if (since >= outage.afterMs && since < outage.afterMs + outage.forMs) {
        return { fault: { kind: "status", status: outage.status }, outage: true, latencyMs };
      }
    }
    const scripted = this.#takeScripted(publicId);
    const limited = this.#countAgainstRateLimit(now);
    if (scripted !== undefined) return { fault: scripted, latencyMs };
    if (limited !== undefined) return { fault: limited, rateLimited: true, latencyMs };
    const random = this.#plan.random;
    if (random === undefined || random.length === 0) return { latencyMs };
    const roll = this.#faultDice();
    let cumulative = 0;
    for (const { fault, rate } of random) {
      cumulative += rate;
      if (roll < cumulative) return { fault, latencyMs };
    }
    return { latencyMs };
  }

  #takeScripted(publicId: string | undefined): Fault | undefined {
    const index = this.#script.findIndex((step) => step.publicId === undefined || step.publicId === publicId);
    if (index === -1) return undefined;
    const [step] = this.#script.splice(index, 1);
    return step?.fault;
  }

  #countAgainstRateLimit(now: number): Fault | undefined {
    const limit = this.#plan.rateLimit;
    if (limit === undefined) return undefined;
    if (limit.window === "sliding" ? this.#slidingAccepts(limit, now) : this.#fixedAccepts(limit, now))
      return undefined;
    const retryAfter = limit.retryAfterSeconds;
    return retryAfter === undefined
      ? { kind: "status", status: 429 }
      : { kind: "status", status: 429, retryAfter: String(retryAfter) };
  }

  /** A window opens at the first request after the last one closed; every request counts. */
  #fixedAccepts(limit: RateLimit, now: number): boolean {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    this.#windowCount++;
    return this.#windowCount <= this.#perSecondAt(limit, now);
  }

  /** Accepted when fewer than the limit were accepted in the 1000 ms before it. */
  #slidingAccepts(limit: RateLimit, now: number): boolean {
    while ((this.#accepted[0] ?? now) <= now - 1000) this.#accepted.shift();
    if (this.#accepted.length >= this.#perSecondAt(limit, now)) return false;
    this.#accepted.push(now);
    return true;
  }

  #perSecondAt(limit: RateLimit, now: number): number {
    const elapsed = now - (this.#firstRequestAt ?? now);
    return (
      (limit.changes ?? []).findLast((change) => change.afterMs <= elapsed)?.perSecond ?? limit.perSecond
    );
  }

  #drawLatency(): number {
    const latency = this.#plan.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === "number") return latency;
    return latency.min + Math.floor(this.#latencyDice() * (latency.max - latency.min + 1));
  }
}

/**
 * A short label of a fault for the request log: `status:503`, `html:200`, `gateway:403`,
 * `commit-then-fail:502`, or the kind alone (`garbage`, `empty`, `drift`, `late-commit`, …).
 */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "status":
    case "html":
    case "gateway":
    case "commit-then-fail":
    case "redirect":
      return `${fault.kind}:${fault.status}`;
    default:
      return fault.kind;
  }
}

/** @throws {RangeError} at the first value of the plan out of range */
function checkPlan(plan: FaultPlan): void {
  for (const { rate } of plan.random ?? []) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rate must be within 0..1, got ${rate}`);
  }
  for (const { fault } of [...(plan.random ?? []), ...(plan.script ?? [])]) {
    const problem = checkFault(fault);
    if (problem !== undefined) throw new RangeError(problem);
  }
  const latency = plan.latencyMs;
  if (
    typeof latency === "number"
      ? latency < 0
      : latency !== undefined && !(latency.min >= 0 && latency.max >= latency.min)
  ) {
    throw new RangeError("latencyMs must be ≥ 0, or {min, max} with 0 ≤ min ≤ max");
  }
  if (plan.rateLimit !== undefined) checkRateLimit(plan.rateLimit);
  for (const [name, window] of [
    ["outage", plan.outage],
    ["unreachable", plan.unreachable],
  ] as const) {
    if (window !== undefined && !(window.afterMs >= 0 && window.forMs >= 0)) {
      throw new RangeError(`${name} must have afterMs ≥ 0 and forMs ≥ 0`);
    }
  }
  if (plan.outage !== undefined && !COMMIT_THEN_FAIL_STATUSES.has(plan.outage.status)) {
    throw new RangeError(`outage status must be 500, 502, 503 or 504, got ${plan.outage.status}`);
  }
}

/** @throws {RangeError} when a limit is negative or the changes are not in ascending order. */
function checkRateLimit(limit: RateLimit): void {
  const changes = limit.changes ?? [];
  if (![limit, ...changes].every(({ perSecond }) => perSecond >= 0)) {
    throw new RangeError("rateLimit.perSecond must be ≥ 0, in its changes too");
  }
  if (!changes.every(({ afterMs }, i) => afterMs >= 0 && afterMs > (changes[i - 1]?.afterMs ?? -1))) {
    throw new RangeError("rateLimit.changes must have afterMs ≥ 0, in ascending order");
  }
}

const COMMIT_THEN_FAIL_STATUSES = new Set([500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What is wrong with a fault that the types let through (plans also come from plain JS). */
function checkFault(fault: Fault): string | undefined {
  switch (fault.kind) {
    case "html":
    case "gateway":
      // node:http refuses statuses outside 100..999; below 200 or above 599 is no page anyone serves.
      return Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599
        ? undefined
        : `${fault.kind} status must be an integer within 200..599, got ${fault.status}`;
    case "late-commit":
    case "slow":
      return Number.isFinite(fault.afterMs) && fault.afterMs >= 0
        ? undefined
        : `${fault.kind} afterMs must be a finite number ≥ 0, got ${fault.afterMs}`;
    case "redirect":
      return REDIRECT_STATUSES.has(fault.status)
        ? undefined
        : `redirect status must be 301, 302, 303, 307 or 308, got ${fault.status}`;
    case "commit-then-fail":
      return COMMIT_THEN_FAIL_STATUSES.has(fault.status)
        ? undefined
        : `commit-then-fail status must be 500, 502, 503 or 504, got ${fault.status}`;
    default:
      return undefined;
  }
}
