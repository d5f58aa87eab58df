/**
 * What came of one call to Spot, as a value callers switch on. Classification follows
 * CONTRACT.md: retrying cannot help a permanent failure, a systemic one is the token's fault (not
 * the message's), a transient one may pass.
 */
export const OutcomeKind = {
  /** Spot stored the metadata (200, and the order it returned holds what was sent). */
  applied: "applied",
  /** 400, 404, 422, or a 200 that makes no sense for this order: retrying cannot help. */
  permanent: "permanent",
  /** 401, 403: every message would fail the same way; never dead-letter for it. */
  systemic: "systemic",
  /** 408, 429, 5xx, timeout, reset, a body that is not Spot's JSON: may pass with time. */
  transient: "transient",
} as const;
export type OutcomeKind = (typeof OutcomeKind)[keyof typeof OutcomeKind];

/** Spot's error envelope, `{"error": {"code", "type", "details"}}`, when the response had one. */
export interface SpotErrorBody {
  code?: number;
  type?: string;
  details: string[];
}

export interface AppliedOutcome {
  kind: typeof OutcomeKind.applied;
  status: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
  latencyMs: number;
}

export interface FailedOutcome {
  kind: Exclude<OutcomeKind, "applied">;
  /** HTTP status of the last attempt; absent when none came back (timeout, reset). */
  status?: number;
  /** Spot's error `type` (`not_found`, `rate_limit_exceeded`, …), or the network failure's kind. */
  errorType?: string;
  /** Spot's `details`, or what was wrong with the response; never the token or metadata values. */
  details: string[];
  /** One line for logs and the DLQ's reason attribute. */
  reason: string;
  /** What the last response's `Retry-After` asked for, in milliseconds. */
  retryAfterMs?: number;
  attempts: number;
  latencyMs: number;
}

export type SpotOutcome = AppliedOutcome | FailedOutcome;
