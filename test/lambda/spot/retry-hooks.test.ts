import { afterEach, describe, expect, it, vi } from "vitest";
import {
  classifyHttpFailure,
  classifyNoAnswer,
  type SpotFailure,
} from "../../../lib/lambda/spot/classify.ts";
import { RetryHooks } from "../../../lib/lambda/spot/retry-hooks.ts";
import { MIN_ATTEMPT_MS } from "../../../lib/lambda/spot/retry-policy.ts";
import { SpotClientError } from "../../../lib/lambda/spot/thrown.ts";

const NOW = 1_800_000_000_000;
const policy = { retryMaxDelayMs: 2_000, baseDelayMs: 400 };
/** Not an HTTP or network outcome: what a bug would throw. */
const BUG = Symbol("bug");

/**
 * The hooks take failures as ky's errors, already classified: turning ky's errors into failures is
 * thrown.ts's job, tested with it.
 */
function hooks(deadline?: number): RetryHooks {
  const classify = (error: unknown): SpotFailure => {
    if (error === BUG) throw new SpotClientError("unexpected symbol while calling Spot");
    return error as SpotFailure;
  };
  return new RetryHooks(classify, policy, deadline);
}

const spotError = (status: number, type: string) => ({ error: { code: status, type, details: [type] } });
const throttled = (retryAfter: string | null) =>
  classifyHttpFailure(429, spotError(429, "rate_limit_exceeded"), retryAfter, NOW);
const serverError = () => classifyHttpFailure(503, spotError(503, "server_error"), null, NOW);

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("RetryHooks", () => {
  it("leaves ky nothing to decide: every method we send, no jitter and no cap of its own", () => {
    // Act
    const options = hooks().options(3);

    // Assess
    expect(options).toStrictEqual({
      limit: 3,
      methods: ["get", "post"],
      retryOnTimeout: true,
      shouldRetry: expect.any(Function),
      delay: expect.any(Function),
      jitter: undefined,
      backoffLimit: Number.POSITIVE_INFINITY,
    });
  });

  it("hands ky the Retry-After it planned for as the next delay, to the millisecond", () => {
    // Prepare
    const retries = hooks();
    const options = retries.options(2);

    // Act
    const retry = retries.shouldRetry({ error: throttled("1"), retryCount: 1 });

    // Assess
    expect(retry).toBe(true);
    expect(options.delay?.(1)).toBe(1_000);
  });

  it("hands ky the full-jittered backoff when there is no Retry-After", () => {
    // Prepare: a draw of one half: half of 400 × 2^(n-1).
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const retries = hooks();
    const options = retries.options(3);

    // Act
    const delays = [1, 2, 3].map((retryCount) => {
      retries.shouldRetry({ error: serverError(), retryCount });
      return options.delay?.(retryCount);
    });

    // Assess
    expect(delays).toStrictEqual([200, 400, 800]);
  });

  it("refuses a wait that would leave no room for an attempt before the deadline, by the clock's now", () => {
    // Prepare
    vi.useFakeTimers({ toFake: ["Date"], now: NOW });
    const fits = hooks(NOW + 1_000 + MIN_ATTEMPT_MS);
    const tooLate = hooks(NOW + 1_000 + MIN_ATTEMPT_MS - 1);

    // Act
    const retried = fits.shouldRetry({ error: throttled("1"), retryCount: 1 });
    const refused = tooLate.shouldRetry({ error: throttled("1"), retryCount: 1 });

    // Assess
    expect([retried, refused]).toStrictEqual([true, false]);
    expect(tooLate.finalFailure(throttled("1"))).toStrictEqual({
      ...throttled("1"),
      reason:
        "Spot answered 429 rate_limit_exceeded: rate_limit_exceeded; no retry: it would not fit before the deadline",
      logReason: "Spot answered 429 rate_limit_exceeded; no retry: it would not fit before the deadline",
    });
  });

  it("leaves a Retry-After beyond the ceiling to the queue, and says so", () => {
    // Prepare
    const retries = hooks();

    // Act
    const retry = retries.shouldRetry({ error: throttled("3"), retryCount: 1 });

    // Assess
    expect(retry).toBe(false);
    expect(retries.finalFailure(throttled("3")).reason).toBe(
      "Spot answered 429 rate_limit_exceeded: rate_limit_exceeded; Retry-After is beyond the in-process ceiling of 2000 ms, left to the queue",
    );
  });

  it("keeps a call uncertain once an attempt may have landed, whatever Spot said after it", () => {
    // Prepare
    const retries = hooks();
    const timedOut = classifyNoAnswer("timeout", "the attempt timed out after 200 ms");

    // Act
    retries.shouldRetry({ error: timedOut, retryCount: 1 });
    retries.shouldRetry({ error: throttled(null), retryCount: 2 });

    // Assess
    expect(retries.earlierMayHaveLanded).toBe(true);
    expect(retries.finalFailure(throttled(null))).toStrictEqual({ ...throttled(null), mayHaveLanded: true });
  });

  it("adds nothing to a failure Spot refused when no attempt may have landed", () => {
    // Prepare
    const retries = hooks();
    const refused = classifyHttpFailure(404, spotError(404, "not_found"), null, NOW);

    // Act
    const retry = retries.shouldRetry({ error: refused, retryCount: 1 });

    // Assess
    expect(retry).toBe(false);
    expect(retries.earlierMayHaveLanded).toBe(false);
    expect(retries.finalFailure(refused)).toStrictEqual(refused);
  });

  it("does not retry what is not an HTTP or network outcome, and leaves the plan as it was", () => {
    // Prepare
    const retries = hooks();
    const options = retries.options(2);
    retries.shouldRetry({ error: throttled("1"), retryCount: 1 });

    // Act
    const retry = retries.shouldRetry({ error: BUG, retryCount: 2 });

    // Assess
    expect(retry).toBe(false);
    expect(options.delay?.(2)).toBe(1_000);
    expect(retries.earlierMayHaveLanded).toBe(false);
  });
});
