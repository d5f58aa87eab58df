/**
 * Bounds the starts of calls to Spot: at most `perSecond` in any one-second window, and at most a
 * tenth of that (the burst) in the time the burst takes at that rate (100 ms; below 10/s, 1/perSecond:
 * an even spacing), so a burst stays small. Held by the processor, so the bound holds
 * across the invocations of one instance, and with the event source's maximum concurrency it bounds
 * the pace at Spot.
 *
 * Why windows and not an even spacing of 1/perSecond: a batch's calls all end together at the batch
 * boundary, so spacing their starts delayed every batch by (concurrency − 1)/perSecond even when the
 * pace was far below the limit (measured with bench/pipeline.ts: 9 ms of a 60 ms batch at 1,000/s).
 * The windows are 5 % long: Spot counts arrivals, and a burst that leaves a few milliseconds late
 * (a busy event loop, the network) must not make a window hold one burst too many (measured: 110
 * arrivals in a second at 100/s with exact windows).
 */
export interface Pacer {
  /** Resolves when the caller may start its call; callers are served in the order they asked. */
  take(): Promise<void>;
}

/** Room, as a share of each window, for the time between a start here and its arrival at Spot. */
const JITTER_ALLOWANCE = 1.05;

/** The windows a start must fit in: every window holds at most `limit` starts. */
interface Window {
  lengthMs: number;
  limit: number;
  /** The latest starts, oldest first; never more than `limit`. */
  starts: number[];
}

export function createPacer(perSecond: number, now: () => number = Date.now): Pacer {
  const burst = Math.max(1, Math.ceil(perSecond / 10));
  const windows: Window[] = [
    { lengthMs: 1000 * JITTER_ALLOWANCE, limit: perSecond, starts: [] },
    // A burst of a tenth of the rate, and the time that burst takes at the rate: below 10/s, an even spacing.
    { lengthMs: ((1000 * burst) / perSecond) * JITTER_ALLOWANCE, limit: burst, starts: [] },
  ];
  let last = Number.NEGATIVE_INFINITY;
  return {
    async take() {
      // The slot is reserved at once, so concurrent callers get distinct, ordered start times.
      let at = Math.max(now(), last);
      for (const window of windows) {
        const oldest = window.starts.length < window.limit ? undefined : window.starts[0];
        if (oldest !== undefined) at = Math.max(at, oldest + window.lengthMs);
      }
      for (const window of windows) {
        window.starts.push(at);
        if (window.starts.length > window.limit) window.starts.shift();
      }
      last = at;
      const wait = at - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}
