/**
 * How long a message handed back to the queue stays invisible: an exponential backoff on its receive
 * count, so that an outage at Spot spreads a message's attempts over hours instead of minutes.
 */

/** SQS's ceiling for a message's visibility timeout (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;

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
  const exponent = Math.min(Math.max(receiveCount - 1, 0), 30);
  const step = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
  const jittered = Math.ceil(step / 2 + random() * (step / 2));
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(jittered, Math.ceil(retryAfterMs / 1000)));
}
