import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAdaptivePacer, createPacer } from "../../../lib/lambda/processor/pacer.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Asks for `count` starts at once and returns when each was let through (fake ms). */
async function startTimes(perSecond: number, count: number, spanMs: number): Promise<number[]> {
  const pacer = createPacer(perSecond, Date.now);
  const times: number[] = [];
  const all = Promise.all(
    Array.from({ length: count }, () => pacer.take().then(() => times.push(Date.now()))),
  );
  await vi.advanceTimersByTimeAsync(spanMs);
  await all;
  return times;
}

function mostInAnyWindow(times: number[], windowMs: number): number {
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
}

describe("createPacer", () => {
  it("lets a small burst through at once instead of spacing every start", async () => {
    // Act
    const times = await startTimes(250, 10, 1_000);

    // Assess: 25 per 100 ms are allowed, so ten calls start together.
    expect(times).toStrictEqual(Array.from({ length: 10 }, () => 0));
  });

  it("never starts more than perSecond in any second, nor a tenth of it in any 100 ms", async () => {
    // Act
    const times = await startTimes(20, 100, 10_000);

    // Assess
    expect(times).toHaveLength(100);
    expect(mostInAnyWindow(times, 1_000)).toBeLessThanOrEqual(20);
    expect(mostInAnyWindow(times, 100)).toBeLessThanOrEqual(2);
    // …and keeps close to the pace: 100 starts at 20/s take about five seconds.
    expect(times.at(-1)).toBeLessThan(5_500);
  });

  it("keeps the count across later callers, as the invocations of one instance do", async () => {
    // Prepare: a first invocation uses the whole second's budget of 10.
    const pacer = createPacer(10, Date.now);
    const times: number[] = [];
    const first = Promise.all(
      Array.from({ length: 10 }, () => pacer.take().then(() => times.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await first;

    // Act: the next invocation asks right after.
    const next = pacer.take().then(() => times.push(Date.now()));
    await vi.advanceTimersByTimeAsync(2_000);
    await next;

    // Assess: its call waits until the first one's start leaves the window.
    expect(times).toHaveLength(11);
    expect(mostInAnyWindow(times, 1_000)).toBeLessThanOrEqual(10);
  });
});

describe("createAdaptivePacer", () => {
  it("slows the calls already waiting as soon as Spot refuses them", async () => {
    // Prepare: 10/s at first (a tenth of the ceiling); twelve calls ask at once.
    const pacer = createAdaptivePacer({ ceiling: 100, floor: 1 }, Date.now);
    const times: number[] = [];
    const all = Promise.all(
      Array.from({ length: 12 }, () => pacer.take().then(() => times.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(150);

    // Act: the first two calls are refused, and Spot had accepted none in the last second.
    pacer.observe({ status: 429, sentAt: 0 });
    pacer.observe({ status: 429, sentAt: 100 });
    await vi.advanceTimersByTimeAsync(20_000);
    await all;

    // Assess: the rest start a second apart, at the floor.
    const afterRefusal = times.filter((t) => t > 150);
    expect(pacer.perSecond).toBe(1);
    expect(afterRefusal.length).toBeGreaterThan(8);
    for (let i = 1; i < afterRefusal.length; i++) {
      expect((afterRefusal[i] as number) - (afterRefusal[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
    }
  });

  it("never starts more than the ceiling in any second, however well calls go", async () => {
    // Prepare: every call succeeds at once, so the pace climbs to its ceiling of 20.
    const pacer = createAdaptivePacer({ ceiling: 20, floor: 1 }, Date.now);
    const times: number[] = [];
    const call = async () => {
      await pacer.take();
      times.push(Date.now());
      pacer.observe({ status: 200, sentAt: Date.now() });
    };

    // Act
    const all = Promise.all(Array.from({ length: 200 }, call));
    await vi.advanceTimersByTimeAsync(30_000);
    await all;

    // Assess
    expect(pacer.perSecond).toBe(20);
    expect(mostInAnyWindow(times, 1_000)).toBeLessThanOrEqual(20);
  });

  it("tells how long a call asked for now would wait: after those waiting, at the pace", async () => {
    // Prepare: 10/s; one burst slot, then five calls waiting.
    const pacer = createAdaptivePacer({ ceiling: 100, floor: 1 }, Date.now);
    for (let i = 0; i < 6; i++) void pacer.take();

    // Act
    const waitMs = pacer.waitMs();

    // Assess: the next slot in 100 ms, and five ahead at 100 ms each.
    expect(waitMs).toBe(600);
  });
});

describe("a start with a latest moment", () => {
  it("says no at once when its start would come too late, and uses no start", async () => {
    // Prepare: 2/s, starts spaced 500 ms apart; the first start is taken.
    const pacer = createPacer(2, Date.now);
    await pacer.take();

    // Act: one caller must start within 100 ms, the next may wait.
    const tooLate = pacer.take(100).then((started) => ({ started, at: Date.now() }));
    const patient = pacer.take().then((started) => ({ started, at: Date.now() }));
    await vi.advanceTimersByTimeAsync(2_000);

    // Assess: the first hears no at 0 ms; the second starts when the first would have.
    expect(await Promise.all([tooLate, patient])).toStrictEqual([
      { started: false, at: 0 },
      { started: true, at: 525 },
    ]);
  });

  it("lets the callers behind through when those ahead of them can no longer start in time", async () => {
    // Prepare: 2/s; two callers that must start by 600 ms wait ahead of one that may wait.
    const pacer = createPacer(2, Date.now);
    await pacer.take();
    const stale = [pacer.take(600), pacer.take(600)];
    const patient = pacer.take().then(() => Date.now());

    // Act
    await vi.advanceTimersByTimeAsync(3_000);

    // Assess: the first stale caller starts at 525 ms; the second could not start before 1,050 ms,
    // so it hears no then and uses no start, and the patient caller starts in its place.
    expect(await Promise.all(stale)).toStrictEqual([true, false]);
    expect(await patient).toBe(1_050);
  });

  it("holds the learned pace's bound too", async () => {
    // Prepare: an adaptive pacer slow-starting at a tenth of 20/s: 2/s.
    const pacer = createAdaptivePacer({ ceiling: 20, floor: 1 });
    await pacer.take();

    // Act
    const answer = pacer.take(Date.now() + 100);
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    expect(await answer).toBe(false);
  });
});
