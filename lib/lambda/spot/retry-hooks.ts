/**
 * ky's retry options with the whole decision left to {@link decideRetry}, and the state one call's
 * retries share: the last decision, the wait it planned, and whether an earlier attempt's write may
 * have landed. ky counts the retries, waits and re-sends; nothing here waits.
 */
import type { RetryOptions } from "ky";
import type { SpotFailure } from "./classify.ts";
import { decideRetry, noRetryNote, type RetryDecision, type RetryPolicy } from "./retry-policy.ts";

const RETRIED_METHODS: Array<"get" | "post"> = ["get", "post"];

/** Turns what ky threw into a failure; throws for anything that is not an HTTP or network outcome. */
export type ClassifyThrown = (error: unknown) => SpotFailure;

export class RetryHooks {
  readonly #classify: ClassifyThrown;
  readonly #policy: RetryPolicy;
  readonly #deadline: number | undefined;
  #lastDecision: RetryDecision | undefined;
  #plannedDelayMs = 0;
  // An attempt whose write may have landed makes the whole call uncertain, whatever came after it.
  #earlierMayHaveLanded = false;

  constructor(classify: ClassifyThrown, policy: RetryPolicy, deadline?: number) {
    this.#classify = classify;
    this.#policy = policy;
    this.#deadline = deadline;
  }

  /** Whether a failed attempt of this call may have written (so a later success is uncertain). */
  get earlierMayHaveLanded(): boolean {
    return this.#earlierMayHaveLanded;
  }

  /** ky's `retry` option, up to `limit` retries. */
  options(limit: number): RetryOptions {
    return {
      limit,
      // ky retries only idempotent methods by default; this POST is a full replacement, so
      // repeating it is safe.
      methods: RETRIED_METHODS,
      retryOnTimeout: true,
      // The whole decision is decideRetry's; ky then waits exactly `delay` (no jitter of its own).
      shouldRetry: (state) => this.shouldRetry(state),
      delay: () => this.#plannedDelayMs,
      jitter: undefined,
      backoffLimit: Number.POSITIVE_INFINITY,
    };
  }

  /** ky's `shouldRetry`: decides, and plans the wait ky asks for next through `delay`. */
  shouldRetry({ error, retryCount }: { error: unknown; retryCount: number }): boolean {
    let failure: SpotFailure;
    try {
      failure = this.#classify(error);
    } catch {
      return false; // not an HTTP/network outcome: ky rethrows it, and so does the client
    }
    this.#earlierMayHaveLanded ||= failure.mayHaveLanded;
    this.#lastDecision = decideRetry({
      failure,
      retryNumber: retryCount,
      now: Date.now(),
      ...(this.#deadline === undefined ? {} : { deadline: this.#deadline }),
      policy: this.#policy,
    });
    if (!this.#lastDecision.retry) return false;
    this.#plannedDelayMs = this.#lastDecision.delayMs;
    return true;
  }

  /** The call's last failure as the client reports it: uncertain if any attempt was, and why no retry. */
  finalFailure(failure: SpotFailure): SpotFailure {
    const note = noRetryNote(this.#lastDecision, this.#policy);
    return {
      ...failure,
      mayHaveLanded: failure.mayHaveLanded || this.#earlierMayHaveLanded,
      reason: failure.reason + note,
      logReason: failure.logReason + note,
    };
  }
}
