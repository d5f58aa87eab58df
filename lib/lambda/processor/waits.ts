/**
 * How long a message waits before it is tried again: after its own failure, an exponential backoff
 * on its own failures (a visibility timeout); after a hand-back that was not its fault, one on its
 * hand-backs (a requeue's delay, or a FIFO visibility timeout); after Spot's 429, what Spot asked or
 * what the instance's pace needs to reach it. All at least what `Retry-After` asked.
 */
import { MAX_VISIBILITY_SECONDS, visibilityBackoffSeconds } from "../backoff.ts";
import type { HandlerConfig } from "../config.ts";

/**
 * SQS counts the 12-hour visibility limit from the receive, which came before the invocation: by
 * up to the batching window (5 min at most) and, under the queue poller's polling ahead, the
 * function's timeout (15 min at most).
 */
export const RECEIVE_SLACK_SECONDS = 1_200;

type Backoff = Pick<HandlerConfig, "backoffBaseSeconds" | "backoffMaxSeconds">;

/** The visibility timeout after the message's `ownFailures`-th failure, within what SQS still allows. */
export function ownFailureSeconds(
  config: Backoff,
  ownFailures: number,
  retryAfterMs: number | undefined,
  random: () => number,
  invocationStartedAt: number,
  now = Date.now(),
): number {
  const seconds = backoff(config, ownFailures, retryAfterMs, random);
  const elapsed = Math.ceil(Math.max(0, now - invocationStartedAt) / 1000);
  return Math.max(0, Math.min(seconds, MAX_VISIBILITY_SECONDS - RECEIVE_SLACK_SECONDS - elapsed));
}

/** The wait after the message's `handBacks`-th hand-back that was not its own failure. */
export function handBackSeconds(
  config: Backoff,
  handBacks: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  return backoff(config, handBacks, retryAfterMs, random);
}

/**
 * The wait after a 429: what `Retry-After` asked, else the time the instance's pace needs to start
 * the calls already waiting (at least a second, SQS's unit; at most the backoff's cap). Not a backoff:
 * the pace, not the wait, keeps the calls within Spot's limit.
 */
export function paceSeconds(
  config: Pick<HandlerConfig, "backoffMaxSeconds">,
  retryAfterMs: number | undefined,
  paceWaitMs: number,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return Math.min(config.backoffMaxSeconds, Math.max(1, Math.ceil(paceWaitMs / 1000)));
}

function backoff(
  config: Backoff,
  count: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  return visibilityBackoffSeconds(
    { baseSeconds: config.backoffBaseSeconds, maxSeconds: config.backoffMaxSeconds },
    count,
    retryAfterMs,
    random,
  );
}
