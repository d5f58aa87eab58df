/**
 * What this instance has seen of Spot across its invocations, to tell a message's own failure from
 * Spot's state. A 5xx, a timeout or a reset for one order while Spot applies others is that order's
 * failure, and counts toward its attempts. Failures for several different orders with no 200 between
 * are Spot's state (an outage): they count against no message until Spot applies one again, so an
 * outage of any length dead-letters nothing. Only a 200 proves writes work: Spot may still answer
 * 404 for unknown orders while it cannot store anything.
 *
 * It also remembers the last order Spot answered 200 for: an order Spot surely has, which tells a
 * wrong base URL from orders that do not exist when a run of 404s asks.
 */

/**
 * How many orders failing in a row make an outage. Two could be two bad messages side by side (their
 * calls run at once); three is already unlikely to be the messages', and at the start of an outage
 * at most two messages per instance are counted a failure they did not cause.
 */
const OUTAGE_ORDERS = 3;

/** How many ended runs are remembered: more than an invocation's calls could end. */
const KEPT_RUNS = 1_000;

/** A failure as judged when it happened: the run it belongs to, read again at the invocation's end. */
export interface FailureMark {
  run: number;
}

export class SpotHealth {
  /** Counts the 200s: a failure belongs to the run of failures since the last of them. */
  #run = 0;
  #failingOrders = new Set<string>();
  /** The recent runs that were outages, so a failure is judged by its own run after Spot recovered. */
  #outageRuns = new Set<number>();
  #lastApplied: { publicId: string; at: number } | undefined;

  /** Spot answered 200 for `publicId`: it stores metadata. */
  applied(publicId: string, at = Date.now()): void {
    if (this.#failingOrders.size >= OUTAGE_ORDERS) this.#outageRuns.add(this.#run);
    // An invocation reads back only the runs of its own minutes: a few are enough.
    for (const run of this.#outageRuns) if (run < this.#run - KEPT_RUNS) this.#outageRuns.delete(run);
    this.#run += 1;
    this.#failingOrders.clear();
    this.#lastApplied = { publicId, at };
  }

  /** Spot failed the call of `publicId` (5xx, timeout, reset). */
  failed(publicId: string): FailureMark {
    this.#failingOrders.add(publicId);
    return { run: this.#run };
  }

  /** Whether the failure is Spot's state: other orders failed too, and none was applied since. */
  isOutage(mark: FailureMark): boolean {
    if (mark.run !== this.#run) return this.#outageRuns.has(mark.run);
    return this.#failingOrders.size >= OUTAGE_ORDERS;
  }

  /** How many orders are failing in the current run, for the reason of a hand-back. */
  get failingOrders(): number {
    return this.#failingOrders.size;
  }

  /** The last order Spot answered 200 for, and when. */
  get lastApplied(): { publicId: string; at: number } | undefined {
    return this.#lastApplied;
  }
}
