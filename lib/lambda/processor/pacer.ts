/**
 * Bounds the starts of calls to Spot: at most `perSecond` in any one-second window, and at most a
 * tenth of that (the burst) in the time the burst takes at that rate (100 ms; below 10/s, 1/perSecond:
 * an even spacing), so a burst stays small. Held by the processor, so the bound holds
 * across the invocations of one instance, and with the event source's maximum concurrency it bounds
 * the pace at Spot. The adaptive pacer learns a pace below that ceiling from Spot's answers
 * ({@link PaceController}) and spaces the starts at it with the same burst, in a token bucket: windows
 * at a pace just cut would first pause for the last second's calls at the old pace.
 *
 * Why windows and not an even spacing of 1/perSecond: a batch's calls all end together at the batch
 * boundary, so spacing their starts delayed every batch by (concurrency − 1)/perSecond even when the
 * pace was far below the limit (measured with bench/pipeline.ts: 9 ms of a 60 ms batch at 1,000/s).
 * The windows are 5 % long: Spot counts arrivals, and a burst that leaves a few milliseconds late
 * (a busy event loop, the network) must not make a window hold one burst too many (measured: 110
 * arrivals in a second at 100/s with exact windows).
 *
 * Not a library's (bottleneck, p-throttle): they space starts evenly or by a reservoir, without the
 * short windows measured above nor a pace that another component (the controller) moves.
 */
import type { AttemptAnswer } from "../spot/client.ts";
import { PaceController, type PaceSettings } from "./pace-controller.ts";
import type { PaceStore } from "./pace-store.ts";
import { SharedPace } from "./shared-pace.ts";

export interface Pacer {
  /**
   * Resolves `true` when the caller may start its call (callers are served in the order they asked),
   * or `false`, as soon as that is known, when its start would come after `latestStart` (epoch ms):
   * it then leaves the queue without using a start, so a call that could not be made anyway never
   * holds back the calls behind it.
   */
  take(latestStart?: number): Promise<boolean>;
  /** Learns from Spot's answer to a call it let through (a fixed pacer ignores it). */
  observe(answer: AttemptAnswer): void;
  /** The pace now, in calls per second. */
  readonly perSecond: number;
  /** How long a call asked for now would wait for its start, in ms. */
  waitMs(): number;
}

/** Room, as a share of each window, for the time between a start here and its arrival at Spot. */
const JITTER_ALLOWANCE = 1.05;
/** How recently the pace must have held a call back for success to count as probing. */
const BOUND_RECENTLY_MS = 1_000;

/** A pacer at a fixed `perSecond`: the ceiling, with nothing learned. */
export function createPacer(perSecond: number, now: () => number = Date.now): Pacer {
  const windows = new StartWindows(perSecond);
  const queue = new StartQueue(
    (at) => windows.next(at),
    (at) => windows.record(at),
    now,
  );
  return {
    take: (latestStart) => queue.take(latestStart),
    observe: () => {},
    get perSecond() {
      return perSecond;
    },
    waitMs: () => queue.waitMs(perSecond),
  };
}

/**
 * A pacer whose pace follows Spot's answers, within `settings.floor`..`settings.ceiling`: the learned
 * pace spaces the starts, and the ceiling's windows still bound them as the fixed pacer's do.
 * @param shared where the instances that share Spot's limit learn one pace together
 *   ({@link SharedPace}), and this instance's name there; without it, the instance learns alone
 */
export function createAdaptivePacer(
  settings: PaceSettings,
  now: () => number = Date.now,
  shared?: { store: PaceStore; instance: string },
): Pacer {
  const controller =
    shared === undefined
      ? new PaceController(settings)
      : new SharedPace(settings, shared.store, shared.instance, now);
  const fleet = controller instanceof SharedPace ? controller : undefined;
  // A new instance reads the fleet's pace before its first call.
  let ready = fleet?.ready();
  const windows = new StartWindows(settings.ceiling);
  const spacing = new StartSpacing();
  const queue = new StartQueue(
    (at) => Math.max(windows.next(at), fleet?.nextStart(at) ?? spacing.next(at, controller.perSecond)),
    (at) => {
      windows.record(at);
      spacing.record(at, controller.perSecond);
      fleet?.started(at);
    },
    now,
  );
  return {
    take: async (latestStart) => {
      if (ready !== undefined) await ready;
      ready = undefined;
      return queue.take(latestStart);
    },
    observe: (answer) => {
      const at = now();
      controller.observe(answer, at, at - queue.lastHeldBackAt < BOUND_RECENTLY_MS);
    },
    get perSecond() {
      return controller.perSecond;
    },
    waitMs: () => queue.waitMs(controller.perSecond),
  };
}

/**
 * The ceiling's bound on the starts: at most `perSecond` in any window of a second, and a tenth of
 * it in a tenth of that (below 10/s, an even spacing), both 5 % long.
 */
class StartWindows {
  readonly #windows: Array<{ lengthMs: number; limit: number; starts: number[] }>;

  constructor(perSecond: number) {
    const burst = Math.max(1, Math.ceil(perSecond / 10));
    this.#windows = [
      { lengthMs: 1000 * JITTER_ALLOWANCE, limit: perSecond, starts: [] },
      // A burst of a tenth of the rate, and the time that burst takes at the rate: below 10/s, an even spacing.
      { lengthMs: ((1000 * burst) / perSecond) * JITTER_ALLOWANCE, limit: burst, starts: [] },
    ];
  }

  /** The earliest start at or after `earliest` that keeps every window within its limit. */
  next(earliest: number): number {
    let at = earliest;
    for (const { lengthMs, limit, starts } of this.#windows) {
      const oldest = starts.length < limit ? undefined : starts[0];
      if (oldest !== undefined) at = Math.max(at, oldest + lengthMs);
    }
    return at;
  }

  record(at: number): void {
    for (const window of this.#windows) {
      window.starts.push(at);
      if (window.starts.length > window.limit) window.starts.shift();
    }
  }
}

/**
 * The learned pace's spacing of the starts (GCRA, a token bucket that holds a tenth of a second's
 * calls): unlike windows, a cut slows the next start at once without first pausing for the calls
 * of the last second at the old pace.
 */
export class StartSpacing {
  /** When the next start would be due if every start kept the pace exactly (GCRA's TAT). */
  #due = Number.NEGATIVE_INFINITY;

  next(earliest: number, perSecond: number): number {
    return Math.max(earliest, this.#due - this.#toleranceMs(perSecond));
  }

  record(at: number, perSecond: number): void {
    this.#due = Math.max(this.#due, at) + 1000 / perSecond;
  }

  /** A burst of a tenth of the pace may start together. */
  #toleranceMs(perSecond: number): number {
    return ((Math.ceil(perSecond / 10) - 1) * 1000) / perSecond;
  }
}

/**
 * Lets callers start in the order they asked, each at the earliest start the bounds allow when it is
 * let through: a pace cut while calls wait applies to them at once.
 */
class StartQueue {
  readonly #next: (earliest: number) => number;
  readonly #record: (at: number) => void;
  readonly #now: () => number;
  readonly #waiting: Array<{ start: (started: boolean) => void; latestStart: number }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The start the first waiter waits for while the timer runs. */
  #heldUntil = Number.NEGATIVE_INFINITY;
  /** When a caller last had to wait for its start: the pace, not the work, was holding calls back. */
  lastHeldBackAt = Number.NEGATIVE_INFINITY;

  constructor(next: (earliest: number) => number, record: (at: number) => void, now: () => number) {
    this.#next = next;
    this.#record = record;
    this.#now = now;
  }

  take(latestStart = Number.POSITIVE_INFINITY): Promise<boolean> {
    return new Promise((start) => {
      // Behind the first waiter, no start comes before the one it waits for.
      if (latestStart < this.#heldUntil) return start(false);
      this.#waiting.push({ start, latestStart });
      this.#release();
    });
  }

  /** The wait of a call asked for now: after those waiting, at `perSecond`. */
  waitMs(perSecond: number): number {
    const now = this.#now();
    return Math.max(0, this.#next(now) - now) + (this.#waiting.length * 1000) / perSecond;
  }

  /** @param dueAt when the timer that calls it was due: the start counts then, not at the millisecond it fired */
  #release(dueAt?: number): void {
    if (this.#timer !== undefined) return;
    let earliest = dueAt;
    while (this.#waiting.length > 0) {
      const now = this.#now();
      const at = this.#next(Math.min(now, earliest ?? now));
      earliest = undefined;
      // No one behind the first starts before it: whoever must start earlier than that cannot start.
      if (this.#dropStartingTooLate(at)) continue;
      if (at > now) {
        this.lastHeldBackAt = now;
        this.#heldUntil = at;
        this.#timer = setTimeout(
          () => {
            this.#timer = undefined;
            this.#heldUntil = Number.NEGATIVE_INFINITY;
            this.#release(at);
          },
          Math.ceil(at - now),
        );
        return;
      }
      this.#record(at);
      this.#waiting.shift()?.start(true);
    }
  }

  /** Answers `false` to those whose latest start is before `at`; whether the first was among them. */
  #dropStartingTooLate(at: number): boolean {
    const tooLate = this.#waiting.filter(({ latestStart }) => latestStart < at);
    if (tooLate.length === 0) return false;
    const firstTooLate = tooLate[0] === this.#waiting[0];
    this.#waiting.splice(0, this.#waiting.length, ...this.#waiting.filter((w) => !tooLate.includes(w)));
    for (const waiter of tooLate) waiter.start(false);
    return firstTooLate;
  }
}

/** What the invocation's calls met at Spot's pace, for its metrics. */
export interface PaceReport {
  /** Attempts started, retries included. */
  calls: number;
  /** Attempts Spot refused (429). */
  refused: number;
  /** The instance's pace at the end of the invocation, calls per second. */
  perSecond: number;
}
