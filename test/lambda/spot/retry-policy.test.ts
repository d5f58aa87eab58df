import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  decideRetry,
  MIN_ATTEMPT_MS,
  noRetryNote,
  type RetryInput,
} from "../../../lib/lambda/spot/retry-policy.ts";

const policy = { retryMaxDelayMs: 2_000, baseDelayMs: 300 };
const NOW = 1_000_000;
const input = (overrides: Partial<RetryInput> = {}): RetryInput => ({
  failure: { kind: "transient", errorType: "server_error" },
  retryNumber: 1,
  now: NOW,
  policy,
  random: () => 0.5,
  ...overrides,
});

describe("backoffDelay", () => {
  it("doubles from the base, with full jitter, up to the cap", () => {
    // Prepare
    const top = () => 0.999_999;

    // Act
    const delays = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, top));

    // Assess
    expect(delays).toStrictEqual([299, 599, 1199, 1999, 1999, 1999]);
  });

  it("can be zero: full jitter spans from nothing to the exponential", () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });
});

describe("decideRetry", () => {
  it("retries a transient failure after the jittered backoff", () => {
    expect(decideRetry(input({ retryNumber: 2 }))).toStrictEqual({ retry: true, delayMs: 300 });
  });

  it.each(["permanent", "systemic"] as const)("never retries a %s failure", (kind) => {
    expect(decideRetry(input({ failure: { kind } }))).toStrictEqual({ retry: false, why: "not_transient" });
  });

  it("leaves a 429 to the caller when the caller asks, however short its Retry-After", () => {
    // Prepare
    const failure = { kind: "transient", status: 429, retryAfterMs: 1_000 } as const;
    const toCaller = { ...policy, rateLimitsToCaller: true };

    // Act
    const handler = decideRetry(input({ failure, policy: toCaller }));
    const tool = decideRetry(input({ failure }));
    const serverError = decideRetry(input({ failure: { ...failure, status: 503 }, policy: toCaller }));

    // Assess
    expect(handler).toStrictEqual({ retry: false, why: "rate_limited" });
    expect(noRetryNote(handler, toCaller)).toBe("; a 429 is left to the queue");
    expect(tool).toStrictEqual({ retry: true, delayMs: 1_000 });
    expect(serverError).toStrictEqual({ retry: true, delayMs: 1_000 });
  });

  it("does not retry when the caller aborted", () => {
    const failure = { kind: "transient", errorType: "aborted" } as const;
    expect(decideRetry(input({ failure }))).toStrictEqual({ retry: false, why: "aborted" });
  });

  it("waits exactly what Retry-After asks, without jitter, up to the ceiling", () => {
    const failure = { kind: "transient", retryAfterMs: 2_000 } as const;
    expect(decideRetry(input({ failure }))).toStrictEqual({ retry: true, delayMs: 2_000 });
  });

  it("leaves a Retry-After beyond the ceiling to the queue", () => {
    const failure = { kind: "transient", retryAfterMs: 2_001 } as const;
    expect(decideRetry(input({ failure }))).toStrictEqual({
      retry: false,
      why: "retry_after_beyond_ceiling",
    });
  });

  it("does not wait past the deadline, leaving room for the attempt itself", () => {
    // Prepare
    const failure = { kind: "transient", retryAfterMs: 1_000 } as const;

    // Act
    const fits = decideRetry(input({ failure, deadline: NOW + 1_000 + MIN_ATTEMPT_MS }));
    const tooLate = decideRetry(input({ failure, deadline: NOW + 1_000 + MIN_ATTEMPT_MS - 1 }));

    // Assess
    expect(fits).toStrictEqual({ retry: true, delayMs: 1_000 });
    expect(tooLate).toStrictEqual({ retry: false, why: "deadline" });
  });
});

describe("noRetryNote", () => {
  it("names the ceiling when a Retry-After is left to the queue", () => {
    expect(noRetryNote({ retry: false, why: "retry_after_beyond_ceiling" }, policy)).toBe(
      "; Retry-After is beyond the in-process ceiling of 2000 ms, left to the queue",
    );
  });

  it("says a retry would not fit before the deadline", () => {
    expect(noRetryNote({ retry: false, why: "deadline" }, policy)).toBe(
      "; no retry: it would not fit before the deadline",
    );
  });

  it.each([
    ["no decision (no retry was asked for)", undefined],
    ["a retry", { retry: true, delayMs: 300 } as const],
    ["a failure that is not transient", { retry: false, why: "not_transient" } as const],
    ["the caller's abort", { retry: false, why: "aborted" } as const],
  ])("adds nothing after %s", (_name, decision) => {
    expect(noRetryNote(decision, policy)).toBe("");
  });
});
