/**
 * Spaces the starts of calls to Spot evenly at a rate per second, within one invocation. Together
 * with the event source's maximum concurrency this bounds the pace at Spot.
 */
export interface Pacer {
  /** Resolves when the caller may start its call. */
  take(): Promise<void>;
}

export function createPacer(perSecond: number, now: () => number = Date.now): Pacer {
  const interval = 1000 / perSecond;
  let next = 0;
  return {
    async take() {
      const at = Math.max(now(), next);
      next = at + interval;
      const wait = at - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}
