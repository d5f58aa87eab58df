import { describe, expect, it, vi } from "vitest";
import { CircuitBreaker } from "../../../lib/lambda/processor/circuit-breaker.ts";
import { createPacer } from "../../../lib/lambda/processor/pacer.ts";

describe("the circuit breaker", () => {
  it("opens after the threshold of consecutive transient failures, not before", () => {
    const breaker = new CircuitBreaker(3);
    breaker.recordTransientFailure();
    breaker.recordTransientFailure();
    breaker.recordSuccess();
    breaker.recordTransientFailure();
    breaker.recordTransientFailure();
    expect(breaker.isOpen).toBe(false);
    breaker.recordTransientFailure();
    expect([breaker.isOpen, breaker.reason]).toStrictEqual([
      true,
      "circuit open after 3 consecutive transient failures at Spot",
    ]);
  });

  it("opens at once for a systemic failure and keeps the first reason", () => {
    const breaker = new CircuitBreaker(100);
    breaker.open("Spot refused the token (401)");
    breaker.open("another reason");
    expect(breaker.reason).toBe("Spot refused the token (401)");
  });
});

describe("the pacer", () => {
  it("spaces the starts evenly at the rate per second", async () => {
    // Prepare: a fake clock, so the spacing is checked without waiting.
    vi.useFakeTimers({ now: 0 });
    const starts: number[] = [];
    const pacer = createPacer(4, () => Date.now());
    // Act
    const done = Promise.all(
      Array.from({ length: 5 }, () => pacer.take().then(() => starts.push(Date.now()))),
    );
    await vi.runAllTimersAsync();
    await done;
    vi.useRealTimers();
    // Assess
    // 1/4 s apart plus the pacer's 5 % room for the time between a start and its arrival at Spot
    // (262.5 ms): timers fire on whole milliseconds, and the spacing does not drift with them.
    expect(starts).toStrictEqual([0, 263, 525, 788, 1050]);
  });
});
