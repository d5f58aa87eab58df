import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { PaceController } from "../../../lib/lambda/processor/pace-controller.ts";

const ok = (sentAt: number) => ({ status: 200, sentAt });
const refused = (sentAt: number, retryAfterMs?: number) =>
  retryAfterMs === undefined ? { status: 429, sentAt } : { status: 429, sentAt, retryAfterMs };

/** Two refusals in a row, as a spent window of Spot's answers: the second one 5 ms after the first. */
function refusedTwice(pace: PaceController, sentAt: number, now: number, retryAfterMs?: number): void {
  pace.observe(refused(sentAt, retryAfterMs), now, true);
  pace.observe(refused(sentAt + 5, retryAfterMs), now + 5, true);
}

/** Every call sent, for the tests to count Spot's accepted share as the pace does. */
let sent: number[] = [];
/** Calls Spot accepted in the second before `now`: what a cut is 0.85 of. */
const acceptedInLastSecond = (now: number) => sent.filter((at) => at > now - 1_000).length;

/**
 * Successful answers every `stepMs` from `from` for `forMs`, each sent `stepMs` before it came back.
 * @returns the time after the last answer
 */
function succeed(pace: PaceController, from: number, forMs: number, stepMs = 20, bound = true): number {
  let now = from;
  for (; now < from + forMs; now += stepMs) {
    sent.push(now - stepMs);
    pace.observe(ok(now - stepMs), now, bound);
  }
  return now;
}

beforeEach(() => {
  sent = [];
});

describe("the pace's start", () => {
  it.each([
    [{ ceiling: 250, floor: 1 }, 25],
    [{ ceiling: 10, floor: 1 }, 1],
    [{ ceiling: 10, floor: 3 }, 3],
    [{ ceiling: 4, floor: 8 }, 4],
  ])("starts at a tenth of the ceiling, within the floor and the ceiling: %j", (settings, expected) => {
    expect(new PaceController(settings).perSecond).toBe(expected);
  });

  it("doubles every half second of success until Spot first refuses", () => {
    // Prepare
    const pace = new PaceController({ ceiling: 250, floor: 1 });

    // Act
    succeed(pace, 0, 1_020);

    // Assess: 25/s doubled twice.
    expect(pace.perSecond).toBeCloseTo(100, 0);
  });

  it("does not grow while the pace holds nothing back", () => {
    // Prepare
    const idle = new PaceController({ ceiling: 250, floor: 1 });

    // Act: answers come, but nothing waited for the pace (the work, not the pace, set the rate).
    succeed(idle, 0, 5_000, 20, false);

    // Assess
    expect(idle.perSecond).toBe(25);
  });
});

describe("refusals", () => {
  it("cut the pace to 0.85 × the calls Spot accepted in the last second, once two come in a row", () => {
    // Prepare: about 40 calls accepted in the last second, and the pace already at 100/s.
    const pace = new PaceController({ ceiling: 250, floor: 1 });
    const now = succeed(pace, 0, 2_000, 25);
    const share = acceptedInLastSecond(now);

    // Act
    refusedTwice(pace, now - 20, now);

    // Assess
    expect(share).toBeGreaterThan(35);
    expect(pace.perSecond).toBeCloseTo(0.85 * share, 5);
  });

  it("leave the pace alone when one comes alone among successes (a gateway's, or one order's)", () => {
    // Prepare
    const pace = new PaceController({ ceiling: 250, floor: 1 });
    let now = succeed(pace, 0, 2_000, 25);
    const before = pace.perSecond;

    // Act: a lone refusal, then successes, then another lone one.
    pace.observe(refused(now - 20), now, true);
    now = succeed(pace, now + 25, 100, 25);
    pace.observe(refused(now - 20), now, true);

    // Assess: not cut (the successes in between let it grow a little).
    expect(pace.perSecond).toBeGreaterThanOrEqual(before);
  });

  it("do not cut again for calls sent before the cut, nor compound within a spent window", () => {
    // Prepare
    const pace = new PaceController({ ceiling: 250, floor: 1 });
    let now = succeed(pace, 0, 2_000, 25);
    refusedTwice(pace, now - 20, now);
    now += 5;
    const cut = pace.perSecond;

    // Act: ten more refusals of calls in flight at the cut…
    for (let i = 0; i < 10; i++) pace.observe(refused(now - 10), now + i, true);
    const afterInFlight = pace.perSecond;
    // …then ten of calls sent after it, as Spot's spent window refuses them all.
    now += 10;
    for (let i = 0; i < 10; i++) pace.observe(refused(now + i), now + 30 + i, true);

    // Assess: still about 0.85 × the share accepted in the last second (which slid by a call or
    // two), not 0.85¹⁰ × the pace.
    expect(afterInFlight).toBe(cut);
    expect(pace.perSecond).toBeLessThanOrEqual(cut);
    expect(pace.perSecond).toBeGreaterThan(0.9 * cut);
  });

  it("drop the pace to the floor, and no lower, when Spot accepts nothing", () => {
    // Prepare
    const pace = new PaceController({ ceiling: 250, floor: 2 });
    refusedTwice(pace, 0, 20);

    // Act: a second later, every call still refused.
    refusedTwice(pace, 1_500, 1_520);

    // Assess
    expect(pace.perSecond).toBe(2);
  });

  it("hold the pace, without probing upward, for as long as Retry-After asked", () => {
    // Prepare
    const pace = new PaceController({ ceiling: 250, floor: 1 });
    let now = succeed(pace, 0, 2_000, 25);
    refusedTwice(pace, now - 20, now, 3_000);
    now += 5;
    const cut = pace.perSecond;

    // Act
    now = succeed(pace, now, 2_900, 25);
    const held = pace.perSecond;
    succeed(pace, now, 1_000, 25);

    // Assess
    expect(held).toBe(cut);
    expect(pace.perSecond).toBeGreaterThan(cut);
  });
});

describe("the recovery (CUBIC)", () => {
  it("comes back to the refused share in K = ∛(W·(1 − β)/C) seconds, lingers there, then probes above it", () => {
    // Prepare: refused with W calls accepted in the last second.
    const pace = new PaceController({ ceiling: 250, floor: 1 });
    let now = succeed(pace, 0, 2_000, 25);
    const share = acceptedInLastSecond(now);
    refusedTwice(pace, now - 20, now);
    now += 5;
    const cutAt = now;
    const k = Math.cbrt((share * 0.15) / 0.4);
    const paceAfter = (seconds: number) => {
      now = succeed(pace, now, cutAt + seconds * 1000 - now, 10);
      return pace.perSecond;
    };

    // Act
    const half = paceAfter(k / 2);
    const atK = paceAfter(k);
    const later = paceAfter(k + 3);

    // Assess: concave back to W, flat around it, then convex: C·3³ above it 3 s later.
    expect(half).toBeGreaterThan(0.95 * share);
    expect(half).toBeLessThan(share);
    expect(atK).toBeCloseTo(share, 0);
    expect(later).toBeCloseTo(share + 0.4 * 27, 0);
  });
});

describe("the pace's invariants (randomized)", () => {
  const seed = Number(process.env.PACE_SEED ?? Date.now() % 1_000_000);

  type Event = {
    kind: "ok" | "refused";
    afterMs: number;
    lagMs: number;
    bound: boolean;
    retryAfterMs?: number;
  };
  const event: fc.Arbitrary<Event> = fc.record(
    {
      kind: fc.constantFrom("ok", "ok", "ok", "refused"),
      afterMs: fc.integer({ min: 0, max: 400 }),
      lagMs: fc.integer({ min: 0, max: 1_500 }),
      bound: fc.boolean(),
      retryAfterMs: fc.integer({ min: 0, max: 5_000 }),
    },
    { requiredKeys: ["kind", "afterMs", "lagMs", "bound"] },
  );
  const settings = fc
    .record({ ceiling: fc.integer({ min: 1, max: 1_000 }), floor: fc.integer({ min: 1, max: 1_000 }) })
    .map(({ ceiling, floor }) => ({ ceiling, floor: Math.min(floor, ceiling) }));

  it(`stays within floor..ceiling, never rises on a refusal nor falls on a success, and recovers (seed ${seed})`, () => {
    console.log(`pace property seed: ${seed} (PACE_SEED=${seed} replays it)`);
    fc.assert(
      fc.property(settings, fc.array(event, { maxLength: 300 }), ({ ceiling, floor }, events) => {
        const pace = new PaceController({ ceiling, floor });
        let now = 1_000_000;
        for (const { kind, afterMs, lagMs, bound, retryAfterMs } of events) {
          now += afterMs;
          const before = pace.perSecond;
          const sentAt = now - lagMs;
          pace.observe(kind === "ok" ? ok(sentAt) : refused(sentAt, retryAfterMs), now, bound);
          expect(pace.perSecond).toBeGreaterThanOrEqual(floor);
          expect(pace.perSecond).toBeLessThanOrEqual(ceiling);
          if (kind === "refused") expect(pace.perSecond).toBeLessThanOrEqual(before);
          else expect(pace.perSecond).toBeGreaterThanOrEqual(before);
        }
        // Whatever happened, calls that keep succeeding bring it back to the ceiling (Retry-After
        // is at most 5 s; CUBIC from any share reaches 1,000/s within a minute).
        succeed(pace, now + 5_000, 60_000, 25);
        expect(pace.perSecond).toBe(ceiling);
      }),
      { seed, numRuns: 200 },
    );
  });

  it(`backs off when Spot refuses calls in a row sent at the current pace (seed ${seed})`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 1_000 }),
        fc.integer({ min: 200, max: 20_000 }),
        (ceiling, successMs) => {
          // Prepare: calls succeeding at 50/s for a while.
          sent = [];
          const pace = new PaceController({ ceiling, floor: 1 });
          const now = succeed(pace, 0, successMs, 20);
          const before = pace.perSecond;

          // Act
          refusedTwice(pace, now - 10, now);

          // Assess: 0.85 × the share accepted in the last second, or lower if the pace was.
          const cut = Math.max(1, Math.min(ceiling, 0.85 * acceptedInLastSecond(now + 5)));
          expect(pace.perSecond).toBeCloseTo(Math.min(before, cut), 5);
        },
      ),
      { seed, numRuns: 100 },
    );
  });
});
