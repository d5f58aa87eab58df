import { describe, expect, it } from "vitest";
import { FaultScheduler } from "../../../lib/local/sandbox/fault-plan.ts";

/** The statuses of requests arriving at these times (ms), under a plan with a rate limit. */
function statuses(scheduler: FaultScheduler, times: number[]): Array<number | undefined> {
  return times.map((now) => {
    const { fault } = scheduler.decide("O0000001", now);
    return fault?.kind === "status" ? fault.status : 200;
  });
}

describe("the rate limit's changes", () => {
  it("applies each limit from afterMs after the first request, window by window", () => {
    // Prepare: 2 a second, then 4 from the third second, then 1 from the fifth.
    const scheduler = new FaultScheduler(1, {
      rateLimit: {
        perSecond: 2,
        changes: [
          { afterMs: 2_000, perSecond: 4 },
          { afterMs: 4_000, perSecond: 1 },
        ],
      },
    });
    const fourInEachSecond = [0, 1, 2, 3, 4, 5].flatMap((second) =>
      [0, 10, 20, 30].map((ms) => 100_000 + second * 1_000 + ms),
    );

    // Act
    const answered = statuses(scheduler, fourInEachSecond);

    // Assess
    const ok = [0, 1, 2, 3, 4, 5].map(
      (s) => answered.slice(s * 4, s * 4 + 4).filter((a) => a === 200).length,
    );
    expect(ok).toStrictEqual([2, 2, 4, 4, 1, 1]);
  });

  it("keeps the window's count across a change: a lower limit refuses the rest of the window", () => {
    // Prepare
    const scheduler = new FaultScheduler(1, {
      rateLimit: { perSecond: 5, changes: [{ afterMs: 500, perSecond: 2 }] },
    });

    // Act: three in the window before the change, two after it.
    const answered = statuses(scheduler, [0, 100, 200, 600, 700]);

    // Assess
    expect(answered).toStrictEqual([200, 200, 200, 429, 429]);
  });

  it("counts the changes again from the first request under a new plan", () => {
    // Prepare
    const scheduler = new FaultScheduler(1, {
      rateLimit: { perSecond: 1, changes: [{ afterMs: 1_000, perSecond: 3 }] },
    });
    statuses(scheduler, [0, 5_000]);

    // Act
    scheduler.setPlan({ rateLimit: { perSecond: 1, changes: [{ afterMs: 1_000, perSecond: 3 }] } });
    const answered = statuses(scheduler, [10_000, 10_010, 11_000, 11_010, 11_020]);

    // Assess
    expect(answered).toStrictEqual([200, 429, 200, 200, 200]);
  });

  it.each([
    [{ perSecond: 2, changes: [{ afterMs: 1_000, perSecond: -1 }] }, /rateLimit.perSecond must be ≥ 0/],
    [
      {
        perSecond: 2,
        changes: [
          { afterMs: 2_000, perSecond: 1 },
          { afterMs: 1_000, perSecond: 3 },
        ],
      },
      /ascending order/,
    ],
  ])("refuses changes out of range or out of order: %j", (rateLimit, message) => {
    expect(() => new FaultScheduler(1, { rateLimit })).toThrow(message);
  });
});

describe("the sliding window", () => {
  it("never accepts more than the limit in any 1000 ms, wherever the second starts", () => {
    // Prepare: 3 a second; a fixed window opened at 0 would accept 3 more at 1000–1002.
    const scheduler = new FaultScheduler(1, { rateLimit: { perSecond: 3, window: "sliding" } });

    // Act
    const answered = statuses(scheduler, [0, 900, 950, 999, 1000, 1001, 1899, 1900, 1950, 1951]);

    // Assess: each acceptance waits for the one a second before it to age out.
    expect(answered).toStrictEqual([200, 200, 200, 429, 200, 429, 429, 200, 200, 429]);
  });

  it("does not count refused requests against the window", () => {
    // Prepare
    const scheduler = new FaultScheduler(1, { rateLimit: { perSecond: 1, window: "sliding" } });

    // Act: a flood of refused requests, then one after the accepted one aged out.
    const answered = statuses(scheduler, [0, 100, 200, 300, 999, 1000]);

    // Assess
    expect(answered).toStrictEqual([200, 429, 429, 429, 429, 200]);
  });

  it("applies a change to the accepted requests already in the window", () => {
    // Prepare
    const scheduler = new FaultScheduler(1, {
      rateLimit: { perSecond: 4, window: "sliding", changes: [{ afterMs: 500, perSecond: 2 }] },
    });

    // Act: three accepted before the change; after it, the limit of 2 is already spent.
    const answered = statuses(scheduler, [0, 100, 200, 600, 1050, 1150]);

    // Assess
    expect(answered).toStrictEqual([200, 200, 200, 429, 429, 200]);
  });
});
