/**
 * The project's backoffs, one formula: the n-th wait's ceiling is base × 2^(n−1), capped. A message
 * handed back to the queue stays invisible for an equal-jittered share of it (so an outage at Spot
 * spreads a message's attempts over hours instead of minutes); in-process retries (the Spot
 * client's, the producer's, the ledger reads') wait a full-jittered share.
 *
 * Not a library's (p-retry, exponential-backoff): most waits here are not retries in this process
 * but visibility timeouts handed to SQS; where a call is retried in-process, ky (the Spot client) or
 * the caller's own loop does the waiting, and only the formula is shared.
 */

/** SQS's ceiling for a message's visibility timeout (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** The n-th wait's ceiling (n from 1): base × 2^(n−1), at most `cap`. */
function exponentialCeiling(n: number, base: number, cap: number): number {
  return Math.min(cap, base * 2 ** Math.min(Math.max(n - 1, 0), 30));
}

/**
 * Full jitter: uniform in [0, the n-th ceiling). A crowd of clients that failed together does not
 * come back together.
 * @param random a number in [0, 1); injectable so tests need no sleeping and no luck
 */
export function fullJitterMs(
  n: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * exponentialCeiling(n, baseMs, capMs));
}

export interface BackoffPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

/**
 * Equal jitter: half the exponential step is kept, the other half is random, so retries spread out
 * but never come back at once. At least what `Retry-After` asked, at most SQS's ceiling.
 * @param receiveCount the message's `ApproximateReceiveCount` (1 on its first delivery)
 * @param random a number in [0, 1); injectable so tests need no sleeping and no luck
 */
export function visibilityBackoffSeconds(
  policy: BackoffPolicy,
  receiveCount: number,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const step = exponentialCeiling(receiveCount, policy.baseSeconds, policy.maxSeconds);
  const jittered = Math.ceil(step / 2 + random() * (step / 2));
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(jittered, Math.ceil(retryAfterMs / 1000)));
}
