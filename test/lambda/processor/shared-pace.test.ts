/**
 * One instance's side of the shared pace, against a record in memory: what it reads of the fleet,
 * when Spot's refusals cut the fleet's limit and to what, and what it does without the record.
 */
import { describe, expect, it } from "vitest";
import { fleetCalls, PLATEAU_SHARE } from "../../../lib/lambda/processor/fleet-schedule.ts";
import {
  type FleetView,
  type PaceReport,
  type PaceStore,
  SharedPace,
} from "../../../lib/lambda/processor/shared-pace.ts";

const SETTINGS = { ceiling: 250, floor: 1 };
const T0 = 1_000_000;

/** The record, answering at once; the cuts it was asked for are kept. */
class RecordInMemory implements PaceStore {
  view: FleetView;
  readonly cuts: Array<{ limit: number; at: number; after: number }> = [];
  reports = 0;
  failing = false;

  constructor(view: FleetView = { reports: [] }) {
    this.view = view;
  }

  async report(instance: string, report: PaceReport): Promise<FleetView> {
    if (this.failing) throw new Error("throttled");
    this.reports++;
    const reports = [...this.view.reports.filter((r) => r.instance !== instance), { instance, ...report }];
    this.view = { ...this.view, reports };
    return this.view;
  }

  async cut(limit: number, at: number, after: number): Promise<FleetView> {
    if (this.failing) throw new Error("throttled");
    this.cuts.push({ limit, at, after });
    if ((this.view.cutAt ?? Number.NEGATIVE_INFINITY) <= after)
      this.view = { ...this.view, limit, cutAt: at };
    return this.view;
  }
}

/** Reports of `count` other instances calling Spot, each with `accepted` calls accepted, at `at`. */
function others(count: number, at: number, accepted: number): FleetView["reports"] {
  return Array.from({ length: count }, (_, i) => ({
    instance: `other-${i}`,
    at,
    sent: accepted,
    accepted,
    answered: 100,
  }));
}

/** Answers from Spot to calls sent at `times`, each told `latency` ms after it was sent. */
function answer(pace: SharedPace, times: number[], status: number, clock: { now: number }): void {
  for (const sentAt of times) {
    clock.now = sentAt + 20;
    pace.observe({ status, sentAt }, clock.now, true);
  }
}

/** Lets the record's answers come in: a cut reads the fleet's reports afresh before it measures. */
const answersIn = () => new Promise((resolve) => setTimeout(resolve, 0));

async function started(store: RecordInMemory, clock: { now: number }): Promise<SharedPace> {
  const pace = new SharedPace(SETTINGS, store, "me", () => clock.now);
  await pace.ready();
  return pace;
}

describe("an instance joining a fleet that knows Spot's limit", () => {
  it("starts at its share of the fleet's rate, not at a tenth of its ceiling", async () => {
    // Prepare: a limit of 40 measured a second ago; three other instances calling.
    const clock = { now: T0 };
    const store = new RecordInMemory({ limit: 40, cutAt: T0 - 1_000, reports: others(3, T0 - 200, 9) });

    // Act
    const pace = await started(store, clock);

    // Assess: the plateau's 38 a second, shared by four.
    expect(pace.perSecond).toBeCloseTo((PLATEAU_SHARE * 40) / 4, 5);
  });

  it("takes up a limit measured long ago from its plateau, for the whole fleet", async () => {
    // Prepare: a limit measured an hour ago.
    const clock = { now: T0 };
    const store = new RecordInMemory({ limit: 40, cutAt: T0 - 3_600_000, reports: [] });

    // Act
    const pace = await started(store, clock);

    // Assess
    expect(store.view).toMatchObject({ limit: 40, cutAt: T0 });
    expect(pace.perSecond).toBeCloseTo(PLATEAU_SHARE * 40, 5);
  });
});

describe("Spot's refusals", () => {
  it("above the limit measured, cut it to what Spot accepted from the fleet in the last second", async () => {
    // Prepare: 7 s after a cut that measured 40, the fleet's schedule runs far above it; Spot
    // accepted all of this instance's calls in the last second, and the other reported 30 a moment
    // before the refusal.
    const clock = { now: T0 };
    const cutAt = T0 - 7_000;
    const store = new RecordInMemory({ limit: 40, cutAt, reports: others(1, T0 + 800, 30) });
    const pace = await started(store, clock);
    answer(
      pace,
      Array.from({ length: 30 }, (_, i) => T0 + i * 30),
      200,
      clock,
    );

    // Act
    const sentAt = clock.now;
    answer(pace, [sentAt], 429, clock);
    await answersIn();

    // Assess: above the limit of before (the two instances' 60 calls, the other's grown with the
    // schedule since its report), at most what the schedule put in the second before; and refusals
    // of calls sent within a second of this one are answered by this cut.
    const scheduled = fleetCalls(40, sentAt - cutAt) - fleetCalls(40, sentAt - cutAt - 1_000);
    expect(store.cuts).toHaveLength(1);
    expect(store.cuts[0]?.limit).toBeGreaterThan(60);
    expect(store.cuts[0]?.limit).toBeLessThanOrEqual(scheduled);
    expect(store.cuts[0]?.after).toBe(sentAt - 1_000);
  });

  it("sent within a second of the last cut, cut nothing more: Spot's second still held the calls before it", async () => {
    // Prepare: a cut 500 ms ago.
    const clock = { now: T0 };
    const store = new RecordInMemory({ limit: 40, cutAt: T0 - 500, reports: [] });
    const pace = await started(store, clock);

    // Act
    answer(pace, [T0, T0 + 10, T0 + 20], 429, clock);
    await answersIn();

    // Assess
    expect(store.cuts).toStrictEqual([]);
  });

  it("on the plateau, cut only as a run, and then by a tenth at least", async () => {
    // Prepare: two seconds into the plateau.
    const clock = { now: T0 };
    const store = new RecordInMemory({ limit: 40, cutAt: T0 - 2_000, reports: [] });
    const pace = await started(store, clock);

    // Act: a lone refusal among accepted calls, then two in a row.
    answer(pace, [T0, T0 + 50], 200, clock);
    answer(pace, [T0 + 100], 429, clock);
    answer(pace, [T0 + 150], 200, clock);
    await answersIn();
    const afterLone = store.cuts.length;
    answer(pace, [T0 + 200, T0 + 250], 429, clock);
    await answersIn();

    // Assess
    expect(afterLone).toBe(0);
    expect(store.cuts).toHaveLength(1);
    expect(store.cuts[0]?.limit).toBeLessThanOrEqual(0.9 * 40);
    expect(store.cuts[0]?.limit).toBeGreaterThanOrEqual(0.5 * 40);
  });
});

describe("the record's writes", () => {
  it("stop below Spot's limit: no refusal and no cut for a minute, no report", async () => {
    // Prepare: no limit known; Spot accepts every call.
    const clock = { now: T0 };
    const store = new RecordInMemory();
    const pace = await started(store, clock);

    // Act: 30 s of calls, 20 a second, all accepted.
    answer(
      pace,
      Array.from({ length: 600 }, (_, i) => T0 + i * 50),
      200,
      clock,
    );
    await answersIn();

    // Assess: the first view's read only.
    expect(store.reports).toBe(1);
  });

  it("come every quarter second while the fleet meets the limit", async () => {
    // Prepare: a cut 5 s ago.
    const clock = { now: T0 };
    const store = new RecordInMemory({ limit: 40, cutAt: T0 - 5_000, reports: [] });
    const pace = await started(store, clock);

    // Act: 10 s of calls, 20 a second.
    for (let i = 0; i < 200; i++) {
      answer(pace, [T0 + i * 50], 200, clock);
      await answersIn();
    }

    // Assess: at every fifth answer (a quarter second), and the first read.
    expect(store.reports).toBeGreaterThanOrEqual(39);
    expect(store.reports).toBeLessThanOrEqual(42);
  });
});

describe("without the record", () => {
  it("learns alone: a tenth of its ceiling at first, as the pace of before", async () => {
    // Prepare
    const clock = { now: T0 };
    const store = new RecordInMemory();
    store.failing = true;

    // Act
    const pace = await started(store, clock);
    answer(pace, [T0, T0 + 10], 429, clock);

    // Assess: the instance goes on, at its own pace.
    expect(pace.perSecond).toBeLessThanOrEqual(SETTINGS.ceiling / 10);
    expect(store.cuts).toStrictEqual([]);
  });
});
