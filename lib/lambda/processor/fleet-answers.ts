/**
 * What an instance knows of the fleet's calls: Spot's answers to its own in the last second, and
 * the other instances' as they last reported them in the shared record (every quarter second each,
 * while the fleet meets Spot's limit).
 */
import { fleetRate } from "./fleet-schedule.ts";
import type { FleetView } from "./pace-store.ts";

/** Spot counts its limit over a second: the window of calls an instance counts. */
export const SECOND_MS = 1_000;
/**
 * How often an instance that calls Spot reports and reads the fleet's view, at its first answer
 * after this long (so never more than once a call). Fresh reports are what the shared pace is made
 * of: with reports a second apart, twelve instances sharing 20 calls a second measured the limit
 * from views a second old and cut it high or low (12 % of calls refused in pace-sim; 2.7 % at a
 * quarter second, for 0.75 writes a call where 0.25: docs/benchmarks.md, Pace).
 */
export const REPORT_EVERY_MS = 250;
/** An instance with no report for this long is not counted (it stopped calling, or is gone). */
const ACTIVE_MS = 3_000;
/**
 * A report this recent counts for the last second: an instance that calls Spot reports at its first
 * answer {@link REPORT_EVERY_MS} after its last report.
 */
export const FRESH_MS = 2 * REPORT_EVERY_MS;

export interface Answers {
  sent: number;
  accepted: number;
}

export class FleetAnswers {
  readonly #instance: string;
  /** This instance's calls answered lately: when each was sent, and whether Spot accepted it. */
  readonly #answers: Array<{ sentAt: number; accepted: boolean }> = [];

  constructor(instance: string) {
    this.#instance = instance;
  }

  /** Answers since this instance started. */
  answered = 0;

  add(sentAt: number, accepted: boolean): void {
    this.#answers.push({ sentAt, accepted });
    this.answered++;
  }

  /** This instance's calls answered, and accepted, sent in the last second. */
  own(now: number): Answers {
    while ((this.#answers[0]?.sentAt ?? now) <= now - SECOND_MS) this.#answers.shift();
    return { sent: this.#answers.length, accepted: this.#answers.filter((a) => a.accepted).length };
  }

  /** The fleet's calls answered in the last second, and accepted: this instance's, and the others' fresh reports. */
  fleet(view: FleetView, now: number): Answers {
    const fleet = this.own(now);
    for (const r of this.others(view, now, FRESH_MS)) {
      fleet.sent += r.sent;
      fleet.accepted += r.accepted;
    }
    return fleet;
  }

  /**
   * What Spot accepted from the fleet in the last second: this instance's calls, and the others' as
   * they last reported them, grown with the schedule since (its rate grows past a plateau). An
   * instance with no report that recent has had no answer lately: it stalls on a refusal, or sits
   * between invocations, and counts for nothing.
   */
  accepted(view: FleetView, now: number): number {
    const { limit, cutAt } = view;
    let accepted = this.own(now).accepted;
    for (const r of this.others(view, now, FRESH_MS)) {
      const growth =
        limit === undefined || cutAt === undefined || r.at < cutAt
          ? 1
          : fleetRate(limit, now - cutAt) / fleetRate(limit, r.at - cutAt);
      accepted += r.accepted * growth;
    }
    return accepted;
  }

  /** The reports of the other instances calling Spot lately, within `withinMs`. */
  others(view: FleetView, now: number, withinMs = ACTIVE_MS): FleetView["reports"] {
    return view.reports.filter(
      (r) => r.instance !== this.#instance && now - r.at < withinMs && r.answered > 0,
    );
  }

  /** The instances calling Spot: this one, and the others that reported calls lately. */
  instances(view: FleetView, now: number): number {
    return 1 + this.others(view, now).length;
  }

  /** This instance's rank among the instances calling Spot, by name: its place on the schedule. */
  rank(view: FleetView, now: number): number {
    const names = [...this.others(view, now).map((r) => r.instance), this.#instance].sort();
    return names.indexOf(this.#instance);
  }
}
