import { describe, expect, it } from "vitest";
import {
  fleetCalls,
  fleetRate,
  LATE_AT_MOST_MS,
  nextSlot,
  PLATEAU_MS,
  PLATEAU_SHARE,
  type Slots,
} from "../../../lib/lambda/processor/fleet-schedule.ts";

/** Every call an instance of rank `rank` among `instances` starts in `spanMs`, taking each as it comes. */
function startsOf(limit: number, rank: number, instances: number, spanMs: number): number[] {
  const slots: Slots = { limit, cutAt: 0, rank, instances };
  const starts: number[] = [];
  let after = -1;
  for (let at = 0; ; ) {
    const next = nextSlot(slots, at, after);
    if (next.at >= spanMs) return starts;
    starts.push(next.at);
    after = next.call;
    at = next.at;
  }
}

function mostInAnySecond(times: number[]): number {
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + 1000).length));
}

describe("the fleet's rate after a cut", () => {
  it("holds a plateau below the limit measured, then grows past it, slowly at first", () => {
    // Act
    const rates = [0, PLATEAU_MS, PLATEAU_MS + 1_000, PLATEAU_MS + 2_000, PLATEAU_MS + 4_000].map((ms) =>
      fleetRate(40, ms),
    );

    // Assess
    expect(rates.slice(0, 2)).toStrictEqual([PLATEAU_SHARE * 40, PLATEAU_SHARE * 40]);
    expect(rates[2]).toBeLessThan(40);
    expect(rates[3]).toBeGreaterThan(40);
    expect(rates[4]).toBeGreaterThan(1.8 * 40);
  });

  it("counts the calls it puts in a span as its integral", () => {
    // Prepare: the rate summed over 1-ms steps.
    let summed = 0;
    for (let ms = 0; ms < 9_000; ms++) summed += fleetRate(40, ms + 0.5) / 1000;

    // Act
    const calls = fleetCalls(40, 9_000);

    // Assess
    expect(calls).toBeCloseTo(summed, 1);
  });
});

describe("the instances' calls on the fleet's schedule", () => {
  it("interleave evenly: twelve instances never put more than the rate in any second", () => {
    // Act: twelve instances of a fleet at 20 calls a second (each 1.6 a second), on the plateau.
    const all = Array.from({ length: 12 }, (_, rank) => startsOf(20, rank, 12, PLATEAU_MS));

    // Assess: each has its share (76 calls in 4 s), and together they never bunch above the rate.
    for (const starts of all) expect(starts.length).toBeGreaterThanOrEqual(6);
    expect(all.flat()).toHaveLength(Math.ceil(fleetCalls(20, PLATEAU_MS)));
    expect(mostInAnySecond(all.flat())).toBeLessThanOrEqual(Math.ceil(PLATEAU_SHARE * 20));
  });

  it("take the calls they missed by a moment late, and skip those missed by longer", () => {
    // Prepare: a fleet of 2 at 80 a second (on the plateau, 76: each has a call every 26 ms).
    const slots: Slots = { limit: 80, cutAt: 0, rank: 1, instances: 2 };
    let own = nextSlot(slots, 1_000, -1);
    while (own.at === 1_000) own = nextSlot(slots, 1_000, own.call); // its first call to come

    // Act: back from a gap between invocations 40 ms after that call, or 60 ms after it.
    const late = nextSlot(slots, own.at + 40, own.call - 2);
    const afterIt = nextSlot(slots, late.at, late.call);
    const tooLate = nextSlot(slots, own.at + 60, own.call - 2);

    // Assess: both calls missed within 50 ms are taken at once (the older first); one missed by
    // more is skipped.
    expect(LATE_AT_MOST_MS).toBe(50);
    expect(late).toStrictEqual({ at: own.at + 40, call: own.call });
    expect(afterIt).toStrictEqual({ at: own.at + 40, call: own.call + 2 });
    expect(tooLate).toStrictEqual({ at: own.at + 60, call: own.call + 2 });
  });

  it("put no more than the plateau's headroom allows in any second, however their invocations' gaps fall", () => {
    // Prepare: six instances at 40 a second, each idle for a random 0–400 ms after every 4 calls.
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const starts: number[] = [];
    for (let rank = 0; rank < 6; rank++) {
      const slots: Slots = { limit: 40, cutAt: 0, rank, instances: 6 };
      let after = -1;
      for (let at = 0, n = 0; ; n++) {
        const next = nextSlot(slots, at, after);
        if (next.at >= PLATEAU_MS) break;
        starts.push(next.at);
        after = next.call;
        at = next.at + (n % 4 === 3 ? random() * 400 : 0);
      }
    }

    // Assess: late calls never make a second hold more than the limit.
    expect(mostInAnySecond(starts)).toBeLessThanOrEqual(40);
    expect(starts.length).toBeGreaterThan(0.75 * fleetCalls(40, PLATEAU_MS));
  });

  it("never give an instance a call it already started", () => {
    // Prepare
    const slots: Slots = { limit: 40, cutAt: 0, rank: 1, instances: 3 };
    const first = nextSlot(slots, 500, -1);

    // Act: asked again at the same time, having started it.
    const second = nextSlot(slots, first.at, first.call);

    // Assess
    expect(second.call).toBe(first.call + 3);
    expect(second.at).toBeGreaterThan(first.at);
  });
});
