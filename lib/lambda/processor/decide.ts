/**
 * The processor's decision for one message, as a pure function of what happened to it (Spot's
 * answer, the ledger's, the circuit, the clock), the record's facts (its own failures, its
 * hand-backs, its age) and the policy (the attempts allowed, the backoff, how long a message may be
 * handed back). No I/O and no clock: the invocation does the calls and passes `now`, so every row
 * of the table is tested without a queue, a ledger or Spot.
 */
import type { SQSRecord } from "aws-lambda";
import type { HandlerConfig } from "../config.ts";
import type { AppliedOutcome, FailedOutcome } from "../spot/outcome.ts";
import { type Failure, keepFirstFailure, ReasonClass } from "../sqs/failure-attributes.ts";
import { CircuitCause } from "./circuit-breaker.ts";
import { type Decision, HandBackCause, handBack } from "./decision.ts";
import { historyOf } from "./history.ts";
import { handBackSeconds, ownFailureSeconds, paceSeconds } from "./waits.ts";

/** A lease held elsewhere is mostly released within seconds: come back soon, not after a full backoff. */
const BUSY_RETRY_SECONDS = { min: 2, spread: 4 };

/** What happened to the message, as far as its decision goes. */
export type Happening =
  /** The body breaks the message contract. */
  | { kind: "invalid"; reason: string }
  /** The ledger holds a newer or equal update of the order. */
  | { kind: "superseded" }
  /** Another update of the order holds its lease until `leaseUntil` (epoch ms). */
  | { kind: "busy"; leaseUntil: number }
  /** The invocation's circuit is open, for `cause`, before this message's call. */
  | { kind: "circuitOpen"; cause: CircuitCause | undefined; reason: string }
  /** Too little time left to start a call: of the invocation, or of the order's lease. */
  | { kind: "noTime"; of: "invocation" | "lease" }
  /** FIFO: a record before it in its group, `behind`, goes back to the queue. */
  | { kind: "heldBack"; behind: string }
  /** The ledger failed, before the call (`ledger`) or in recording an applied one (`unrecorded`). */
  | {
      kind: "ledgerFailed";
      cause: typeof HandBackCause.ledger | typeof HandBackCause.unrecorded;
      reason: string;
    }
  /** A run of 404s, this one's among them, turned out to be the base URL's fault. */
  | { kind: "notFoundRun"; reason: string }
  /** Spot applied it, and the ledger recorded it; `reassert`: it is to be sent again later. */
  | { kind: "applied"; outcome: AppliedOutcome; reassert: boolean }
  /** Spot's answer was not a 200 for this order; `paceWaitMs`: what the instance's pace needs now. */
  | { kind: "failed"; outcome: FailedOutcome; paceWaitMs: number };

/** The message decided on: its record, and the body to requeue or dead-letter (stamped with its version). */
export interface Subject {
  record: SQSRecord;
  body: string;
}

export interface Policy {
  config: Pick<
    HandlerConfig,
    | "maxReceiveCount"
    | "backoffBaseSeconds"
    | "backoffMaxSeconds"
    | "maxHandBackAgeSeconds"
    | "lateWriteWindowSeconds"
  >;
  /** A number in [0, 1), for the waits' jitter. */
  random: () => number;
  /** When the invocation started (epoch ms): SQS counts the visibility limit from the receive. */
  startedAt: number;
  now: number;
}

/** What a failed answer means for the message, read in this order (the first that fits). */
export const Reading = {
  /** Spot judged the message (400, 404, 422 in its envelope): retrying cannot help. */
  permanent: "permanent",
  /** Every message would fail the same way (the token, a redirect). */
  systemic: "systemic",
  /** Spot's pace (429). */
  pace: "pace",
  /** No answer before the deadline, or the call was aborted. */
  deadline: "deadline",
  /** The answer was not Spot's (a gateway's, a 200 that is no order of this id). */
  foreign: "foreign",
  /** Spot failed this message's call (5xx, timeout, reset): its own failure. */
  own: "own",
} as const;
export type Reading = (typeof Reading)[keyof typeof Reading];

export function readAnswer(outcome: FailedOutcome): Reading {
  if (outcome.kind === "permanent") return Reading.permanent;
  if (outcome.kind === "systemic") return Reading.systemic;
  if (outcome.status === 429) return Reading.pace;
  if (outcome.errorType === "deadline" || outcome.errorType === "aborted") return Reading.deadline;
  if (outcome.foreign) return Reading.foreign;
  return Reading.own;
}

/**
 * The decision for `subject` after `happening`. A hand-back for a cause not the message's own is
 * dead-lettered as `exhausted` once the message is older than `maxHandBackAgeSeconds`.
 */
export function decide(happening: Happening, subject: Subject, policy: Policy): Decision {
  return boundHandBack(rule(happening, subject, policy), subject.record, policy);
}

function rule(happening: Happening, subject: Subject, policy: Policy): Decision {
  const { record, body } = subject;
  switch (happening.kind) {
    case "invalid":
      return {
        kind: "deadLetter",
        body,
        failure: failureOf(record, ReasonClass.invalid, happening.reason, {}, policy.now),
      };
    case "superseded":
      return { kind: "superseded", reason: "a newer or equal update for the order was already applied" };
    case "busy":
      return handBack(
        HandBackCause.busyLease,
        "another update of the order is, or may still be, in flight",
        busySeconds(happening.leaseUntil, policy),
        body,
      );
    case "circuitOpen": {
      const cause =
        happening.cause === CircuitCause.transient ? HandBackCause.circuit : HandBackCause.systemic;
      return handBack(cause, happening.reason, nextHandBackSeconds(record, policy), body);
    }
    case "noTime":
      return handBack(
        HandBackCause.deadline,
        `too little of the ${happening.of === "invocation" ? "invocation's time" : "order's lease"} left to start a call`,
        0,
        body,
      );
    case "heldBack":
      return handBack(
        HandBackCause.heldBack,
        `held back behind ${happening.behind}, which goes back to the queue, in its FIFO group`,
        0,
        body,
      );
    case "ledgerFailed":
      return handBack(happening.cause, happening.reason, nextHandBackSeconds(record, policy), body);
    case "notFoundRun":
      return handBack(HandBackCause.systemic, happening.reason, policy.config.backoffBaseSeconds, body);
    case "applied": {
      const { status, attempts, latencyMs, drift } = happening.outcome;
      const reassert = happening.reassert
        ? { reassertAfterSeconds: policy.config.lateWriteWindowSeconds }
        : {};
      return { kind: "applied", status, attempts, latencyMs, drift, ...reassert };
    }
    case "failed":
      return decideFailed(happening.outcome, happening.paceWaitMs, subject, policy);
  }
}

function decideFailed(
  outcome: FailedOutcome,
  paceWaitMs: number,
  subject: Subject,
  policy: Policy,
): Decision {
  const { status, errorType, reason, attempts, latencyMs, retryAfterMs } = outcome;
  const { record, body } = subject;
  const deadLetter = (reasonClass: ReasonClass): Decision => ({
    kind: "deadLetter",
    body,
    failure: failureOf(
      record,
      reasonClass,
      reason,
      { status, errorType, details: outcome.details },
      policy.now,
    ),
    attempts,
    latencyMs,
  });
  const retry = (cause: HandBackCause, waitSeconds: number): Decision => ({
    kind: "retry",
    cause,
    reason,
    waitSeconds,
    body,
    ...(status === undefined ? {} : { status }),
    ...(errorType === undefined ? {} : { errorType }),
    attempts,
    latencyMs,
  });
  switch (readAnswer(outcome)) {
    case Reading.permanent:
      return deadLetter(ReasonClass.permanent);
    case Reading.systemic:
      return retry(HandBackCause.systemic, nextHandBackSeconds(record, policy));
    case Reading.pace:
      return retry(HandBackCause.pace, paceSeconds(policy.config, retryAfterMs, paceWaitMs));
    case Reading.deadline:
      return retry(HandBackCause.deadline, 0);
    case Reading.foreign:
      return retry(HandBackCause.systemic, nextHandBackSeconds(record, policy, retryAfterMs));
    case Reading.own: {
      const ownFailures = historyOf(record).ownFailures + 1;
      if (ownFailures >= policy.config.maxReceiveCount) return deadLetter(ReasonClass.exhausted);
      const { config, random, startedAt, now } = policy;
      return retry(
        HandBackCause.ownFailure,
        ownFailureSeconds(config, ownFailures, retryAfterMs, random, startedAt, now),
      );
    }
  }
}

/**
 * A message handed back, for causes not its own, for longer than the queue would have kept it
 * (each hand-back is a new message, so the queue's retention no longer bounds it): dead-lettered
 * as `exhausted` with the cause, where it is seen and can be replayed, instead of going round for ever.
 */
function boundHandBack(decision: Decision, record: SQSRecord, policy: Policy): Decision {
  if (decision.kind !== "retry" || decision.cause === HandBackCause.ownFailure) return decision;
  const ageSeconds = (policy.now - historyOf(record).firstSentAt) / 1000;
  if (ageSeconds <= policy.config.maxHandBackAgeSeconds) return decision;
  const hours = (ageSeconds / 3600).toFixed(1);
  const reason = `handed back for ${hours} h without a failure of its own; the last cause: ${decision.cause}: ${decision.reason}`;
  const { status, errorType } = decision;
  return {
    kind: "deadLetter",
    body: decision.body,
    failure: failureOf(record, ReasonClass.exhausted, reason, { status, errorType }, policy.now),
  };
}

/**
 * A call in flight releases the lease within seconds; one whose write may still land keeps it
 * until it lapses. Come back soon, and never later than the lapse.
 */
function busySeconds(leaseUntil: number, policy: Policy): number {
  const untilLapse = Math.ceil((leaseUntil - policy.now) / 1000);
  const soon = BUSY_RETRY_SECONDS.min + Math.round(policy.random() * BUSY_RETRY_SECONDS.spread);
  return Math.max(1, Math.min(untilLapse, soon));
}

function nextHandBackSeconds(record: SQSRecord, policy: Policy, retryAfterMs?: number): number {
  return handBackSeconds(policy.config, historyOf(record).handBacks + 1, retryAfterMs, policy.random);
}

function failureOf(
  record: SQSRecord,
  reasonClass: ReasonClass,
  reason: string,
  extra: { status?: number | undefined; errorType?: string | undefined; details?: string[] },
  now: number,
): Failure {
  const history = historyOf(record);
  const firstReceive = Number(record.attributes.ApproximateFirstReceiveTimestamp);
  const earlier = history.ownFailures + history.handBacks > 0;
  return {
    reasonClass,
    reason,
    ...(extra.status === undefined ? {} : { status: extra.status }),
    ...(extra.errorType === undefined ? {} : { errorType: extra.errorType }),
    details: extra.details ?? [reason],
    attempts: history.ownFailures + 1,
    firstFailureAt: keepFirstFailure(
      record.messageAttributes,
      new Date(earlier && firstReceive > 0 ? Math.min(firstReceive, now) : now),
    ),
    lastFailureAt: new Date(now),
  };
}
