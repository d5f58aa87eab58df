import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPacer } from "../../lib/processor/pacer.ts";

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
