/**
 * One pace for all the instances that share Spot's limit, learned together through one shared
 * record ({@link PaceStore}: an item of the ledger's table): Spot's limit as last measured, when,
 * and which instances are calling. Each instance runs its share of the fleet's rate on the fleet's
 * schedule (fleet-schedule.ts), so the shares follow as instances come and go, the fleet probes
 * past the limit as one (twelve instances probe no harder than two), and a new instance starts at
 * its share instead of re-learning from a tenth of its ceiling.
 *
 * The instances report only while the fleet meets Spot's limit (a refusal or a cut in the last
 * minute): below it, where most traffic is, the record costs nothing.
 *
 * When Spot refuses a call, the instance that met it judges whether that is the limit and measures
 * it (fleet-limit.ts), and records the cut for the fleet; the others take it up at their next report,
 * within a quarter second of their next answer.
 *
 * Until a limit is known (a new fleet, or the record unreadable), the instance learns alone
 * ({@link PaceController}). A limit measured long ago is taken up again from its plateau: Spot's
 * limit rarely changes, and refusals correct it if it did. The record is a help, not a need: if it
 * cannot be read or written, each instance goes on with what it knows.
 */
import type { AttemptAnswer } from "../spot/client.ts";
import { FleetAnswers, REPORT_EVERY_MS } from "./fleet-answers.ts";
import { FleetLimit } from "./fleet-limit.ts";
import { fleetRate, nextSlot, type Slots } from "./fleet-schedule.ts";
import { PaceController, type PaceSettings } from "./pace-controller.ts";
import type { FleetView, PaceStore } from "./pace-store.ts";

export type { FleetView, PaceReport, PaceStore } from "./pace-store.ts";

/** An instance with no report for this long is removed from the record. */
const FORGET_MS = 60_000;
/** A limit measured longer ago than this is taken up again from its plateau. */
const RESTART_AFTER_MS = 10 * 60_000;
/** A new instance waits this long at most for the fleet's view before its first call. */
const FIRST_VIEW_WAIT_MS = 500;
/** The fleet is below Spot's limit once nothing was refused and nothing cut for this long. */
const QUIET_AFTER_MS = 60_000;
/** Refusals of calls sent within this long before the one that cut are answered by the cut. */
const ANSWERED_BY_CUT_MS = 1_000;

export class SharedPace {
  readonly #settings: PaceSettings;
  readonly #store: PaceStore;
  readonly #instance: string;
  readonly #now: () => number;
  /** Learns alone until the fleet knows a limit. */
  readonly #alone: PaceController;
  readonly #answers: FleetAnswers;
  readonly #limit: FleetLimit;
  #view: FleetView = { reports: [] };
  #lastReportAt = Number.NEGATIVE_INFINITY;
  #lastRefusalAt = Number.NEGATIVE_INFINITY;
  #reporting: Promise<void> | undefined;
  /** A cut being measured: refusals meanwhile are the same ones. */
  #measuring = false;
  /** This instance's cuts whose write is under way: until the record answers, its cut stands. */
  #cutting = 0;
  /** The last call of the schedule this instance started, and the one it plans next. */
  #schedule: { cutAt: number; lastCall: number; planned?: { at: number; call: number } } = {
    cutAt: Number.NaN,
    lastCall: -1,
  };
  readonly #firstView: Promise<void>;

  constructor(settings: PaceSettings, store: PaceStore, instance: string, now: () => number = Date.now) {
    this.#settings = settings;
    this.#store = store;
    this.#instance = instance;
    this.#now = now;
    this.#alone = new PaceController(settings);
    this.#answers = new FleetAnswers(instance);
    this.#limit = new FleetLimit(this.#answers, Math.min(settings.floor, settings.ceiling));
    this.#firstView = this.#report(now());
  }

  /** Resolves once the fleet's view was read, or could not be within a moment. */
  ready(): Promise<void> {
    return Promise.race([this.#firstView, new Promise<void>((r) => setTimeout(r, FIRST_VIEW_WAIT_MS))]);
  }

  /** The pace now, calls per second: the instance's share of the fleet's rate, within floor and ceiling. */
  get perSecond(): number {
    const now = this.#now();
    const slots = this.#slots(now);
    if (slots === undefined) return this.#alone.perSecond;
    const share = fleetRate(slots.limit, now - slots.cutAt) / slots.instances;
    return Math.min(this.#settings.ceiling, Math.max(this.#settings.floor, share));
  }

  /** This instance's next start on the fleet's schedule at or after `earliest`; undefined while it learns alone. */
  nextStart(earliest: number): number | undefined {
    const slots = this.#slots(earliest);
    if (slots === undefined) return undefined;
    if (slots.cutAt !== this.#schedule.cutAt) this.#schedule = { cutAt: slots.cutAt, lastCall: -1 };
    const planned = nextSlot(slots, earliest, this.#schedule.lastCall);
    this.#schedule.planned = planned;
    return planned.at;
  }

  /** A call started at `at`: its place on the schedule is taken. */
  started(at: number): void {
    const { planned } = this.#schedule;
    if (planned !== undefined && at >= planned.at - 1) this.#schedule.lastCall = planned.call;
  }

  /** Learns from one answer; reports to the fleet when it is time. */
  observe(answer: AttemptAnswer, now: number, bound: boolean): void {
    this.#alone.observe(answer, now, bound);
    const refused = answer.status === 429;
    this.#answers.add(answer.sentAt, !refused);
    if (refused) this.#lastRefusalAt = now;
    if (this.#limit.answered(this.#view, answer.sentAt, refused, now)) void this.#cut(answer.sentAt);
    if (this.#atTheLimit(now) && now - this.#lastReportAt >= REPORT_EVERY_MS) void this.#report(now);
  }

  /**
   * Whether the fleet has met Spot's limit lately (this instance was refused, or the record holds a
   * recent cut): only then do the instances need each other's reports. Below the limit they write
   * nothing, and each keeps its share as its last view had it.
   */
  #atTheLimit(now: number): boolean {
    const lastMet = Math.max(this.#lastRefusalAt, this.#view.cutAt ?? Number.NEGATIVE_INFINITY);
    return now - lastMet < QUIET_AFTER_MS;
  }

  /** When the instances are counted: now, or, while the fleet is below the limit, at the last report. */
  #countedAt(now: number): number {
    return this.#atTheLimit(now) ? now : Math.min(now, this.#lastReportAt);
  }

  /** The schedule, once the fleet knows a limit: its cut, and this instance's rank among those calling. */
  #slots(now: number): Slots | undefined {
    const { limit, cutAt } = this.#view;
    if (limit === undefined || cutAt === undefined) return undefined;
    const view = this.#view;
    return {
      limit,
      cutAt,
      rank: this.#answers.rank(view, this.#countedAt(now)),
      instances: this.#answers.instances(view, this.#countedAt(now)),
    };
  }

  /**
   * Measures Spot's limit from the fleet's reports, read afresh with this instance's own (the view
   * of its last report may be a second or two old), and records it for the fleet.
   */
  async #cut(sentAt: number): Promise<void> {
    if (this.#measuring) return;
    this.#measuring = true;
    try {
      await this.#report(this.#now());
      const now = this.#now();
      this.#record(this.#limit.measure(this.#view, sentAt, now), now, sentAt - ANSWERED_BY_CUT_MS);
    } finally {
      this.#measuring = false;
    }
  }

  /** Records a cut here at once, and in the record; the record's answer is the fleet's cut. */
  #record(limit: number, at: number, after: number): void {
    this.#view = { ...this.#view, limit, cutAt: at };
    this.#cutting++;
    this.#store
      .cut(limit, at, after)
      .then(
        (view) => {
          this.#view = view;
        },
        () => {},
      )
      .finally(() => this.#cutting--);
  }

  /** Writes this instance's report and reads the fleet's view; joins the one under way, if any. */
  #report(now: number): Promise<void> {
    this.#reporting ??= this.#reportNow(now).finally(() => {
      this.#reporting = undefined;
    });
    return this.#reporting;
  }

  async #reportNow(now: number): Promise<void> {
    this.#lastReportAt = now;
    this.#limit.countReports(this.#view, now);
    const own = this.#answers.own(now);
    const forget = this.#view.reports.filter((r) => now - r.at > FORGET_MS).map((r) => r.instance);
    try {
      const report = { at: now, ...own, answered: this.#answers.answered };
      this.#adopt(await this.#store.report(this.#instance, report, forget), this.#now());
    } catch {
      // The fleet's view is a help, not a need: without it the instance goes on with what it knows.
    }
  }

  /** Takes the fleet's view (keeping this instance's cut while its write is under way). */
  #adopt(view: FleetView, now: number): void {
    const mine = this.#view;
    const keepMine =
      this.#cutting > 0 &&
      (mine.cutAt ?? Number.NEGATIVE_INFINITY) > (view.cutAt ?? Number.NEGATIVE_INFINITY);
    this.#view = keepMine ? { ...view, limit: mine.limit, cutAt: mine.cutAt } : view;
    const { limit, cutAt } = this.#view;
    // A limit measured long ago: its plateau again, from now, for every instance.
    if (limit !== undefined && cutAt !== undefined && now - cutAt > RESTART_AFTER_MS)
      this.#record(limit, now, now - RESTART_AFTER_MS);
  }
}
