/**
 * What came of one call to Spot, as a value callers switch on. An answer is classified by what it
 * proves about this message (docs/spot-api.md): retrying cannot help a permanent failure, a systemic
 * one is not the message's fault, a transient one may pass; and any failure whose write may still
 * land at Spot says so (`mayHaveLanded`), because Spot's endpoint is an unconditional full replace.
 */
export const OutcomeKind = {
  /** Spot answered 200 for this order: it stored the metadata. */
  applied: "applied",
  /** 400, 404, 422 in Spot's error envelope: Spot judged this message; retrying cannot help. */
  permanent: "permanent",
  /** 401, 403, a redirect, no token: every message would fail the same way; never dead-letter for it. */
  systemic: "systemic",
  /** 408, 429, 5xx, timeout, reset, a 200 that is not this order, an answer outside Spot's envelope. */
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
  /**
   * How the 200's order differs from what we expect (a field outside the documented schema, metadata
   * other than what was sent), by field and key names only; empty when it is as expected.
   */
  drift: string[];
  /** An earlier attempt of this call failed in a way whose write may still land (it holds the same metadata). */
  earlierAttemptMayLand: boolean;
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
  /** One line for the DLQ's reason attribute: Spot's own words included. */
  reason: string;
  /**
   * The same for log lines: Spot's status, its error type and the names of the fields it complains
   * about, never its free text (a 400 may echo the value it refused, which can be health information).
   */
  logReason: string;
  /** What the last response's `Retry-After` asked for, in milliseconds. */
  retryAfterMs?: number;
  /**
   * Whether a write of this call may have landed at Spot, or may still land: true unless every
   * attempt was refused in Spot's own envelope or never sent.
   */
  mayHaveLanded: boolean;
  /** The answer was not Spot's (a proxy's or gateway's JSON, a 200 that is no order of this id). */
  foreign?: boolean;
  attempts: number;
  latencyMs: number;
}

export type SpotOutcome = AppliedOutcome | FailedOutcome;
