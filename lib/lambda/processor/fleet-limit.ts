/**
 * When Spot's refusal says the fleet is above Spot's limit, and what the limit is then: the shared
 * pace's judgement (shared-pace.ts). What it weighs:
 * - A refusal of a call sent before the last cut, or within the second after it, was answered by
 *   that cut: Spot's second still held the calls sent before it.
 * - Above the limit measured last (the fleet probing past its plateau), a refusal is the limit,
 *   unless Spot also refused calls on the plateau before (429s that are not the limit: a gateway's,
 *   an order's): then only a run of two of this instance's calls is.
 * - On the plateau, only a run is, and only among many refusals or with Spot accepting far less
 *   than the limit: the limit fell. A limit measured a little high is lowered by the next probe.
 * - With no limit known, each instance learns alone for its first seconds: a measure taken before
 *   the others have reported their calls says little of the fleet's.
 */
import { type FleetAnswers, FRESH_MS, SECOND_MS } from "./fleet-answers.ts";
import { fleetCalls, fleetRate, PLATEAU_SHARE } from "./fleet-schedule.ts";
import type { FleetView } from "./pace-store.ts";

/** A run of refusals: a lone 429 may be a gateway's or an order's, not the limit. */
const REFUSALS_IN_A_ROW = 2;
/** How long an instance learns alone before it measures the fleet's limit, when none is known. */
const WARM_UP_MS = 2_000;
/**
 * On the plateau, a run of refusals says the limit fell when the fleet's share of calls refused in
 * the last second is at least this, or what Spot accepted from it is under this share of the limit.
 */
const FELL_SHARE = 0.15;
const FELL_ACCEPTED = 0.7;
/** Above the limit measured, a measure below this share of it says the limit fell. */
const FELL_BELOW = 0.5;
/** A refusal on the plateau lowers the limit by a tenth at least, by half at most. */
const LOWER_AT_LEAST = 0.9;
const LOWER_AT_MOST = 0.5;

export class FleetLimit {
  readonly #answers: FleetAnswers;
  readonly #floor: number;
  #refusedInARow = 0;
  #firstAnswerAt: number | undefined;
  /** The fleet's calls and refusals on the plateau since the last cut: 429s that are not the limit. */
  #plateau = { cutAt: Number.NaN, sent: 0, refused: 0 };

  /** @param floor the slowest an instance goes: the fleet's limit is at least this times the instances */
  constructor(answers: FleetAnswers, floor: number) {
    this.#answers = answers;
    this.#floor = floor;
  }

  /**
   * Learns from one answer of this instance's (already added to its answers).
   * @returns whether it is a refusal that cuts: {@link measure} the limit then
   */
  answered(view: FleetView, sentAt: number, refused: boolean, now: number): boolean {
    this.#firstAnswerAt ??= now;
    this.#refusedInARow = refused ? this.#refusedInARow + 1 : 0;
    const { limit, cutAt } = view;
    if (limit !== undefined && cutAt !== undefined && onPlateau(limit, cutAt, sentAt)) {
      this.#plateauOf(cutAt).sent++;
      if (refused) this.#plateauOf(cutAt).refused++;
    }
    return refused && this.#cuts(view, sentAt, now);
  }

  /** Counts the other instances' calls on the plateau, from their reports (a share is what counts). */
  countReports(view: FleetView, now: number): void {
    const { limit, cutAt } = view;
    if (limit === undefined || cutAt === undefined || !onPlateau(limit, cutAt, now - SECOND_MS)) return;
    const plateau = this.#plateauOf(cutAt);
    for (const r of this.#answers.others(view, now, FRESH_MS)) {
      plateau.sent += r.sent;
      plateau.refused += r.sent - r.accepted;
    }
  }

  #cuts(view: FleetView, sentAt: number, now: number): boolean {
    const { limit, cutAt } = view;
    const inARow = this.#refusedInARow >= REFUSALS_IN_A_ROW;
    if (limit === undefined || cutAt === undefined)
      return inARow && now - (this.#firstAnswerAt ?? now) >= WARM_UP_MS;
    if (sentAt < cutAt + SECOND_MS) return false;
    if (fleetRate(limit, sentAt - cutAt) > limit) return inARow || this.#plateauOf(cutAt).refused === 0;
    if (!inARow) return false;
    // A run among many refusals, or with Spot accepting far less than the limit (instances that
    // stall on refusals send little, so their share refused stays low): not the chance of a few
    // 429s that are not the limit (a run of two comes every few seconds somewhere in a big fleet).
    const fleet = this.#answers.fleet(view, now);
    const refusedShare = fleet.sent === 0 ? 0 : 1 - fleet.accepted / fleet.sent;
    return refusedShare >= FELL_SHARE || this.#answers.accepted(view, now) < FELL_ACCEPTED * limit;
  }

  /**
   * Spot's limit, from its refusal of a call sent at `sentAt`: what it accepted from the fleet in
   * the last second (FleetAnswers.accepted), held within what the refusal proves:
   * - above the limit measured last, Spot's second just filled: the measure, plus the 429s that are
   *   not the limit (the plateau's share), no more than the schedule put in the second before the
   *   call, and no less than the limit measured last (or its plateau, when Spot refused calls on
   *   the plateau: it was a little high);
   * - not above it (or the measure under half of it), the limit measured last was too high (or the
   *   limit fell): lowered by the share of the fleet's calls Spot refused in the last second (a
   *   share holds while instances stall on refusals, where a count sinks), or to the measure when
   *   that is under half of what the share says (the limit fell far); a tenth at least and half at
   *   most, and refusals a second later cut again;
   * - with no limit known, the measure.
   * Never below the floor of each instance calling.
   */
  measure(view: FleetView, sentAt: number, now: number): number {
    const floor = this.#floor * this.#answers.instances(view, now);
    const accepted = this.#answers.accepted(view, now);
    const { limit, cutAt } = view;
    if (limit === undefined || cutAt === undefined) return Math.max(floor, accepted);
    const since = sentAt - cutAt;
    const plateau = this.#plateauOf(cutAt);
    const noise = plateau.sent === 0 ? 0 : plateau.refused / plateau.sent;
    const measured = accepted / (1 - noise);
    // Far below the limit measured, even above it: the limit fell (while the fleet was probing).
    if (fleetRate(limit, since) <= limit || measured < FELL_BELOW * limit) {
      const fleet = this.#answers.fleet(view, now);
      const passed = fleet.sent === 0 ? 1 : fleet.accepted / fleet.sent;
      // What Spot accepted, when it is far below what the share alone says: the limit fell far.
      const lowered = accepted < FELL_BELOW * limit * passed ? accepted : limit * passed;
      return Math.max(floor, Math.min(LOWER_AT_LEAST * limit, Math.max(LOWER_AT_MOST * limit, lowered)));
    }
    const scheduled = fleetCalls(limit, since) - fleetCalls(limit, since - SECOND_MS);
    const atLeast = plateau.refused > 0 ? PLATEAU_SHARE * limit : limit;
    return Math.max(floor, atLeast, Math.min(scheduled, measured));
  }

  #plateauOf(cutAt: number): { sent: number; refused: number } {
    if (this.#plateau.cutAt !== cutAt) this.#plateau = { cutAt, sent: 0, refused: 0 };
    return this.#plateau;
  }
}

/** Whether a call sent at `at` went out on the plateau, a second or more after the cut. */
function onPlateau(limit: number, cutAt: number, at: number): boolean {
  return at - cutAt >= SECOND_MS && fleetRate(limit, at - cutAt) <= limit;
}
