/**
 * Learns the pace Spot allows this instance from Spot's answers, the way TCP CUBIC learns a link's
 * share: it slows down at once when Spot refuses a call (429), comes back quickly to the pace that
 * was refused, lingers there, then probes above it, and never goes above the configured ceiling nor
 * below the floor. Instances that share Spot's limit each run one and meet at their shares with no
 * coordinator: whoever runs faster loses more at each cut and regains no faster (CUBIC's growth is
 * in calls per second, not in a share of the pace). With the ledger the instances share one pace
 * instead (shared-pace.ts: alone, twelve instances probe twelve times as hard as one); this one is an
 * instance's own until the fleet knows Spot's limit, and without the ledger.
 *
 * Written here rather than taken from the AWS SDK (`DefaultRateLimiter` in @smithy/core's retry):
 * that one cuts its rate again on every throttled answer (ten concurrent 429s: 0.7¹⁰), has no
 * ceiling, no start and no Retry-After, and is an internal module of the SDK.
 *
 * Three things differ from CUBIC, for a limit counted in windows of a second rather than a queue:
 * - The cut is from the share Spot accepted in the last second, not from the pace: once Spot's window
 *   is spent, every call until it ends is refused whatever the pace, and cutting again for each of
 *   them would collapse the pace. A refusal of a call sent before the last cut cuts nothing more.
 * - It grows only while calls succeed and the pace is what holds them back: an idle instance, or one
 *   whose calls are refused, does not climb towards the ceiling.
 * - Only refusals in a row cut: a spent window refuses every call until it ends, while a lone 429
 *   among successes is a gateway's, one order's, or a window's last call. Cutting for each of a
 *   few random ones, as loss-based control does, sinks the pace (simulated, 6 % of calls refused at
 *   random under a ceiling of 250/s: about 10/s; cutting on refusals in a row, 40–110/s).
 */
import type { AttemptAnswer } from "../spot/client.ts";

export interface PaceSettings {
  /** Calls per second never to exceed: the configured `requestsPerSecond`. */
  ceiling: number;
  /** Calls per second never to go below, however often Spot refuses. */
  floor: number;
  /**
   * The first pace, as a share of the ceiling. A reader alone at Spot (`spot-meta verify`) starts at
   * the ceiling; an instance joining others that share Spot's limit starts low.
   * @default 0.1
   */
  firstShare?: number;
}

/**
 * The share kept after a cut: CUBIC's β is 0.7, but here the cut is from the share Spot accepted,
 * not from a pace that overshot it (simulated: 0.85 kept 0.93–0.97 of the limit, 0.8 0.92–0.96, and
 * 0.9 let 4 instances' shares drift further apart).
 */
const BETA = 0.85;
/** CUBIC's C, in calls/s per s³: refused at 50/s, back there 2.7 s after the cut, at twice it 5 s later. */
const CUBIC_C = 0.4;
/** The window Spot's limit is counted in (per second), and the instance's share of it measured over. */
const SHARE_WINDOW_MS = 1_000;
/** Refusals in a row that say Spot's window is spent. */
const REFUSALS_IN_A_ROW = 2;
/** A new instance's first pace, as a share of the ceiling. */
const FIRST_SHARE_OF_CEILING = 0.1;
/** Slow start doubles the pace this often: from a tenth of the ceiling to all of it in 1.7 s. */
const SLOW_START_DOUBLING_SECONDS = 0.5;
/** The longest gap between two successful answers that still counts as time spent probing (at 8/s or more). */
const MAX_GROWTH_STEP_MS = 250;

export class PaceController {
  readonly #ceiling: number;
  readonly #floor: number;
  #rate: number;
  /** Slow start: the pace doubles every half second of success until the first refusal. */
  #slowStart = true;
  readonly #slowStartFrom: number;
  /** The share at the last cut (CUBIC's W_max) and the time CUBIC takes back to it (its K). */
  #refusedAt = 0;
  #recoverySeconds = 0;
  /** Seconds of success since the last cut (or the start), counted only while the pace held calls back. */
  #growthSeconds = 0;
  #lastGrowthAt: number | undefined;
  #lastCutAt = Number.NEGATIVE_INFINITY;
  /** No probing upward before this: Spot's `Retry-After` said its limit holds until then. */
  #holdUntil = 0;
  /** Refusals since the last success. */
  #refusedInARow = 0;
  /** When the calls Spot accepted in the last window were sent, oldest first. */
  readonly #accepted: number[] = [];

  /**
   * Starts at a tenth of the ceiling, not at it: a new instance joins others that already share
   * Spot's limit. It doubles every half second until Spot first refuses (TCP's slow start).
   */
  constructor(settings: PaceSettings) {
    this.#ceiling = settings.ceiling;
    this.#floor = Math.min(settings.floor, settings.ceiling);
    this.#slowStartFrom = this.#clamp(settings.ceiling * (settings.firstShare ?? FIRST_SHARE_OF_CEILING));
    this.#rate = this.#slowStartFrom;
  }

  /** The pace now, in calls per second. */
  get perSecond(): number {
    return this.#rate;
  }

  /**
   * Learns from one answer.
   * @param bound whether the pace held calls back lately: only then does success let it grow
   */
  observe(answer: AttemptAnswer, now: number, bound: boolean): void {
    if (answer.status !== 429) {
      this.#refusedInARow = 0;
      this.#succeeded(answer, now, bound);
      return;
    }
    // A spent window refuses every call until it ends: Spot's limit comes as refusals in a row. A
    // lone 429 between successes is a gateway's or one order's, or a window's last call: no cut.
    this.#refusedInARow++;
    if (this.#refusedInARow >= REFUSALS_IN_A_ROW) this.#refused(answer, now);
  }

  #refused(answer: AttemptAnswer, now: number): void {
    if (answer.retryAfterMs !== undefined)
      this.#holdUntil = Math.max(this.#holdUntil, now + answer.retryAfterMs);
    this.#lastGrowthAt = undefined;
    // Sent at the pace before the last cut: that cut already answered it.
    if (answer.sentAt < this.#lastCutAt) return;
    const share = this.#acceptedInLastSecond(now);
    const cut = this.#clamp(BETA * share);
    if (cut >= this.#rate && !this.#slowStart) return;
    this.#slowStart = false;
    this.#setRefused(Math.max(share, this.#floor));
    this.#rate = Math.min(cut, this.#rate);
    this.#growthSeconds = 0;
    this.#lastCutAt = now;
  }

  #succeeded(answer: AttemptAnswer, now: number, bound: boolean): void {
    this.#accepted.push(answer.sentAt);
    this.#forget(now);
    const last = this.#lastGrowthAt;
    this.#lastGrowthAt = now;
    if (!bound || now < this.#holdUntil || last === undefined) return;
    // A gap longer than two calls take at the pace is time the pace was not in use.
    const longestStepMs = Math.max(MAX_GROWTH_STEP_MS, 2000 / this.#rate);
    this.#growthSeconds += Math.min(now - last, longestStepMs) / 1000;
    this.#rate = this.#clamp(this.#slowStart ? this.#slowStartRate() : this.#cubicRate());
  }

  #slowStartRate(): number {
    return this.#slowStartFrom * 2 ** (this.#growthSeconds / SLOW_START_DOUBLING_SECONDS);
  }

  /** CUBIC's window as a pace: W(t) = C (t − K)³ + W_max. */
  #cubicRate(): number {
    return CUBIC_C * (this.#growthSeconds - this.#recoverySeconds) ** 3 + this.#refusedAt;
  }

  #setRefused(share: number): void {
    this.#refusedAt = share;
    this.#recoverySeconds = Math.cbrt((share * (1 - BETA)) / CUBIC_C);
  }

  /**
   * Calls accepted in the last second: the share of Spot's per-second limit this instance got, even
   * early in its life (a window spent in its first 300 ms was still one second's share).
   */
  #acceptedInLastSecond(now: number): number {
    this.#forget(now);
    return this.#accepted.length;
  }

  #forget(now: number): void {
    while ((this.#accepted[0] ?? now) <= now - SHARE_WINDOW_MS) this.#accepted.shift();
  }

  #clamp(rate: number): number {
    return Math.min(this.#ceiling, Math.max(this.#floor, rate));
  }
}
