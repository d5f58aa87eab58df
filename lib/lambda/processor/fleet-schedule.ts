/**
 * The fleet's rate after a cut, and its calls laid out on one schedule: pure functions of the limit
 * measured at the cut and the time since it, so every instance computes the same from the shared
 * record without talking to the others.
 *
 * The rate: a plateau a little below the limit, long enough to outlast Spot's `Retry-After`, then
 * growth as the cube of the time past it (CUBIC's shape, from the plateau): it crosses the limit
 * slowly, so a limit that did not rise costs a refusal or two, then speeds up, so one that doubled
 * is reached within seconds.
 *
 * The schedule: the fleet's calls since the cut are numbered 0, 1, 2 … at the times the rate puts
 * them (call j when the rate's integral reaches j), and the instance of rank k among n takes the
 * calls j ≡ k (mod n). Together the instances then start their calls evenly spaced at the fleet's
 * rate, however many there are: independent paces would each be even, but their sum would bunch
 * (twelve instances each at 1.6 calls a second, from random starts, put 21–24 calls in some second
 * where 19 were due), and a limit counted over any second refuses the bunches.
 */

/** The plateau, as a share of the limit measured. */
export const PLATEAU_SHARE = 0.95;
/** How long the plateau lasts. */
export const PLATEAU_MS = 4_000;
/** Growth past the plateau, in shares of the limit per s³: the limit after 1.5 s, 1.8 × it after 3.9 s. */
const GROWTH_PER_S3 = 0.0145;

/**
 * How late an instance may still start calls of its own that it missed (it was between invocations):
 * a call started d late can add itself to a second that already holds the rate's calls, so with every
 * call at most d late no second holds more than the rate × (1 + d/1 s), which the plateau's headroom
 * takes. Later than that, a call is skipped.
 */
export const LATE_AT_MOST_MS = Math.round((1 - PLATEAU_SHARE) * 1000);

/** The fleet's rate, calls per second, `sinceCutMs` after a cut that measured `limit`. */
export function fleetRate(limit: number, sinceCutMs: number): number {
  const past = Math.max(0, sinceCutMs - PLATEAU_MS) / 1000;
  return limit * (PLATEAU_SHARE + GROWTH_PER_S3 * past ** 3);
}

/** The fleet's calls the rate puts in the `sinceCutMs` after the cut (the rate's integral). */
export function fleetCalls(limit: number, sinceCutMs: number): number {
  const since = Math.max(0, sinceCutMs) / 1000;
  const past = Math.max(0, sinceCutMs - PLATEAU_MS) / 1000;
  return limit * (PLATEAU_SHARE * since + (GROWTH_PER_S3 * past ** 4) / 4);
}

/** Where an instance's calls go on the fleet's schedule. */
export interface Slots {
  limit: number;
  /** The cut the schedule counts from (epoch ms). */
  cutAt: number;
  /** This instance's rank among the instances, and how many there are. */
  rank: number;
  instances: number;
}

/**
 * The instance's call to start at or after `earliest`, whose number is above `after` (the last it
 * started): the oldest of its own that passed at most {@link LATE_AT_MOST_MS} ago, at once (taken
 * late, they keep the instance's share through the gaps between its invocations), else its next.
 */
export function nextSlot(slots: Slots, earliest: number, after: number): { at: number; call: number } {
  const { limit, cutAt, rank, instances } = slots;
  const lateBy = (call: number) => earliest - (cutAt + timeOfCall(limit, call));
  const takes = (call: number) => call > after && call >= 0 && lateBy(call) <= LATE_AT_MOST_MS;
  // A thousandth of a call's leeway: `earliest` may be a call's own time, which the inversion below
  // puts a hair after it.
  const reached = Math.floor(fleetCalls(limit, earliest - cutAt) + 0.001);
  const passed = reached - ((((reached - rank) % instances) + instances) % instances);
  if (takes(passed)) {
    let oldest = passed;
    while (takes(oldest - instances)) oldest -= instances;
    return { at: earliest, call: oldest };
  }
  const call = Math.max(
    passed + instances,
    after + 1 + ((((rank - after - 1) % instances) + instances) % instances),
  );
  return { at: cutAt + timeOfCall(limit, call), call };
}

/** When (ms after the cut) the schedule puts call `call`: the rate's integral inverted, by bisection. */
function timeOfCall(limit: number, call: number): number {
  let low = 0;
  let high = 1_000;
  while (fleetCalls(limit, high) < call) high *= 2;
  for (let i = 0; i < 40 && high - low > 0.01; i++) {
    const mid = (low + high) / 2;
    if (fleetCalls(limit, mid) < call) low = mid;
    else high = mid;
  }
  return high;
}
