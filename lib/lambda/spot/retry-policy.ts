/**
 * The in-process retry decision, as pure functions of the attempt: whether to retry a failed
 * attempt, and after how long. ky does the waiting and re-sending; this decides, in ky's order:
 * (limit, checked by ky) → not transient → Retry-After (capped: beyond the ceiling the queue's
 * backoff takes over) → exponential backoff with full jitter → the caller's deadline.
 */
import { fullJitterMs } from "../backoff.ts";
import type { SpotFailure } from "./classify.ts";

/** ky's own default base delay: 0.3 s, doubled each retry. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 300;
/** No attempt starts with less than this before the deadline: it could not finish anyway. */
export const MIN_ATTEMPT_MS = 100;

export interface RetryPolicy {
  /** Cap of the backoff, and the longest `Retry-After` honoured in-process. */
  retryMaxDelayMs: number;
  /** Delay before the first retry (before jitter); doubled each retry. */
  baseDelayMs: number;
  /**
   * A 429 is not retried in-process: the caller waits it out elsewhere. The handler's choice: the
   * wait would hold its invocation (the batch cannot end before its slowest call), so a refusal
   * would stall the instance's other calls for the whole `Retry-After`; the queue waits for free.
   */
  rateLimitsToCaller?: boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | {
      retry: false;
      why: "not_transient" | "aborted" | "rate_limited" | "retry_after_beyond_ceiling" | "deadline";
    };

export interface RetryInput {
  failure: Pick<SpotFailure, "kind" | "errorType" | "retryAfterMs" | "status">;
  /** 1 for the first retry. */
  retryNumber: number;
  now: number;
  /** Epoch ms; no attempt and no wait beyond it. */
  deadline?: number;
  policy: RetryPolicy;
  /** [0, 1); Math.random in production, fixed in tests. */
  random?: () => number;
}

/** Decides whether to retry a failed attempt and how long to wait first. */
export function decideRetry(input: RetryInput): RetryDecision {
  const { failure, policy } = input;
  if (failure.kind !== "transient") return { retry: false, why: "not_transient" };
  // The caller gave up (its signal): waiting again would only delay telling it.
  if (failure.errorType === "aborted" || failure.errorType === "deadline")
    return { retry: false, why: "aborted" };
  if (failure.status === 429 && policy.rateLimitsToCaller === true)
    return { retry: false, why: "rate_limited" };
  let delayMs: number;
  if (failure.retryAfterMs !== undefined) {
    // The server said when; more than the ceiling would park the invocation, so the queue's
    // visibility backoff honours it instead (the outcome carries retryAfterMs).
    if (failure.retryAfterMs > policy.retryMaxDelayMs)
      return { retry: false, why: "retry_after_beyond_ceiling" };
    delayMs = failure.retryAfterMs;
  } else {
    delayMs = backoffDelay(input.retryNumber, policy, input.random);
  }
  if (input.deadline !== undefined && input.now + delayMs + MIN_ATTEMPT_MS > input.deadline) {
    return { retry: false, why: "deadline" };
  }
  return { retry: true, delayMs };
}

/**
 * Exponential backoff with full jitter: uniform in [0, min(cap, base × 2^(n-1))).
 * Full jitter spreads a crowd of clients that failed together, so they do not come back together.
 */
export function backoffDelay(
  retryNumber: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return fullJitterMs(retryNumber, policy.baseDelayMs, policy.retryMaxDelayMs, random);
}

/**
 * What a failure's reason adds when the last decision refused a retry the failure alone would have
 * had: the queue, not this process, is to wait. Empty for every other decision.
 */
export function noRetryNote(decision: RetryDecision | undefined, policy: RetryPolicy): string {
  if (decision?.retry !== false) return "";
  if (decision.why === "retry_after_beyond_ceiling") {
    return `; Retry-After is beyond the in-process ceiling of ${policy.retryMaxDelayMs} ms, left to the queue`;
  }
  if (decision.why === "rate_limited") return "; a 429 is left to the queue";
  if (decision.why === "deadline") return "; no retry: it would not fit before the deadline";
  return "";
}
