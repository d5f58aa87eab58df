/**
 * The processor's decision for one message, as a pure function of what happened to it (Spot's
 * answer, the ledger's, the circuit, the clock), the record's facts (its own failures, its
 * hand-backs, its age) and the policy (the attempts allowed, the backoff, how long a message may be
 * handed back). No I/O and no clock: the invocation does the calls and passes `now`, so every row
 * of the table is tested without a queue, a ledger or Spot.
 *
 * Five names of "why" meet here, each at its own step:
 *
 * | name | says | set by | read by |
 * | --- | --- | --- | --- |
 * | `OutcomeKind` (spot/outcome.ts) | what Spot's answer proves: applied, permanent, systemic, transient | the Spot client | {@link readAnswer} |
 * | `Reading` (here) | what a failed answer means for this message: permanent, systemic, pace, deadline, foreign, own | {@link readAnswer} | {@link decide} |
 * | `CircuitCause` (circuit-breaker.ts) | why the invocation stopped calling Spot: transient or systemic | the invocation | {@link decide}, for the messages not tried |
 * | `HandBackCause` (decision.ts) | why a message goes back to the queue, and its metric; only `own-failure` counts toward its attempts | {@link decide} | the queue side, the report |
 * | `ReasonClass` (sqs/failure-attributes.ts) | why a message is in the DLQ: invalid, permanent, exhausted | {@link decide} | the DLQ tools |
 */
import type { SQSRecord } from "aws-lambda";
import type { HandlerConfig } from "../config.ts";
import type { AppliedOutcome, FailedOutcome } from "../spot/outcome.ts";
import { type Failure, keepFirstFailure, ReasonClass } from "../sqs/failure-attributes.ts";
import { CircuitCause } from "./circuit-breaker.ts";
import { type Decision, HandBackCause, handBack } from "./decision.ts";
import { historyOf } from "./history.ts";
import { handBackSeconds, ownFailureSeconds, paceSeconds } from "./waits.ts";

/** A call still running mostly ends within seconds: come back soon, not after a full backoff. */
const BUSY_RETRY_SECONDS = { min: 2, spread: 4 };

/** What happened to the message, as far as its decision goes. */
export type Happening =
  /** The body breaks the message contract. */
  | { kind: "invalid"; reason: string }
  /** The ledger holds a newer or equal update of the order. */
  | { kind: "superseded" }
  /**
   * Another attempt holds the order until `reopensAt` (epoch ms); `settling`: its call has ended and
   * the order surely reopens then; `newerWaiting`: a newer update of the order waits to go first.
   */
  | { kind: "busy"; reopensAt: number; settling: boolean; newerWaiting: boolean }
  /** The invocation's circuit is open, for `cause`, before this message's call. */
  | { kind: "circuitOpen"; cause: CircuitCause | undefined; reason: string }
  /** Too little time left to start a call: of the invocation, or of the order's lease. */
  | { kind: "noTime"; of: "invocation" | "lease" }
  /** A newer update of the order in the same batch, `newer`, goes back to the queue: this one waits behind it. */
  | { kind: "behindNewer"; newer: string }
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
  /** Spot applied it, and the ledger recorded it. */
  | { kind: "applied"; outcome: AppliedOutcome }
  /** Spot applied it, but another attempt was admitted before it was recorded: it is to be sent again. */
  | { kind: "lost" }
  /**
   * Spot's answer was not a 200 for this order. `paceWaitMs`: what the instance's pace needs now.
   * `ownFailures`: the update's own failures as the ledger counts them, this one included.
   * `outage`: calls for other orders failed too, with none applied between (`failingOrders`).
   */
  | {
      kind: "failed";
      outcome: FailedOutcome;
      paceWaitMs: number;
      ownFailures?: number | undefined;
      outage?: { failingOrders: number } | undefined;
    };

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
        happening.newerWaiting
          ? "another update of the order is, or may still be, in flight, and a newer one waits to go first"
          : "another update of the order is, or may still be, in flight",
        busySeconds(happening, policy),
        body,
      );
    case "behindNewer":
      return handBack(
        HandBackCause.busyLease,
        `a newer update of the order in this batch (${happening.newer}) goes back to the queue, and goes first`,
        soonSeconds(policy) + policy.config.lateWriteWindowSeconds,
        body,
      );
    case "lost":
      return handBack(
        HandBackCause.unrecorded,
        "applied, but another update was admitted before it was recorded: sent again",
        soonSeconds(policy),
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
      return handBack(HandBackCause.systemic, happening.reason, nextHandBackSeconds(record, policy), body);
    case "applied": {
      const { status, attempts, latencyMs, drift } = happening.outcome;
      return { kind: "applied", status, attempts, latencyMs, drift };
    }
    case "failed":
      return decideFailed(happening, subject, policy);
  }
}

function decideFailed(
  happening: Extract<Happening, { kind: "failed" }>,
  subject: Subject,
  policy: Policy,
): Decision {
  const { outcome, paceWaitMs } = happening;
  const { status, errorType, reason, attempts, latencyMs, retryAfterMs } = outcome;
  const { record, body } = subject;
  const deadLetter = (reasonClass: ReasonClass, ownFailures?: number): Decision => ({
    kind: "deadLetter",
    body,
    logReason: outcome.logReason,
    failure: failureOf(
      record,
      reasonClass,
      reason,
      { status, errorType, details: outcome.details, ownFailures },
      policy.now,
    ),
    attempts,
    latencyMs,
  });
  // A hand-back's reason goes to logs only: Spot's words stay out (outcome.ts, logReason).
  const retry = (cause: HandBackCause, waitSeconds: number, why = outcome.logReason): Decision => ({
    kind: "retry",
    cause,
    reason: why,
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
      if (happening.outage !== undefined) {
        return retry(
          HandBackCause.systemic,
          nextHandBackSeconds(record, policy, retryAfterMs),
          `Spot failed calls for ${happening.outage.failingOrders} orders in a row with none applied between, an outage and not this message's failure: ${outcome.logReason}`,
        );
      }
      // The ledger's count cannot be forged by a message, nor inflated by FIFO hand-backs; the
      // message's own restarts when it is replayed from the DLQ.
      const ownFailures = Math.min(happening.ownFailures ?? Infinity, historyOf(record).ownFailures + 1);
      if (ownFailures >= policy.config.maxReceiveCount) return deadLetter(ReasonClass.exhausted, ownFailures);
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
 * When to come back to a held order: when it reopens, if its call has ended (settling); soon, and
 * never after it reopens, if the call is still running (most end within seconds). Behind a newer
 * waiting update, one late-write window later: the newer one goes first, and this one then finds
 * itself superseded, or, if the newer one failed for good, is still there to be applied.
 */
function busySeconds(busy: Extract<Happening, { kind: "busy" }>, policy: Policy): number {
  const untilReopen = Math.max(1, Math.ceil((busy.reopensAt - policy.now) / 1000));
  const wait = busy.settling
    ? untilReopen + Math.round(policy.random())
    : Math.min(untilReopen, soonSeconds(policy));
  return busy.newerWaiting ? wait + policy.config.lateWriteWindowSeconds : wait;
}

function soonSeconds(policy: Policy): number {
  return BUSY_RETRY_SECONDS.min + Math.round(policy.random() * BUSY_RETRY_SECONDS.spread);
}

function nextHandBackSeconds(record: SQSRecord, policy: Policy, retryAfterMs?: number): number {
  return handBackSeconds(policy.config, historyOf(record).handBacks + 1, retryAfterMs, policy.random);
}

function failureOf(
  record: SQSRecord,
  reasonClass: ReasonClass,
  reason: string,
  extra: {
    status?: number | undefined;
    errorType?: string | undefined;
    details?: string[];
    /** The failures that exhausted it, this one included, when they are counted elsewhere than the message. */
    ownFailures?: number | undefined;
  },
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
    attempts: extra.ownFailures ?? history.ownFailures + 1,
    firstFailureAt: keepFirstFailure(
      record.messageAttributes,
      new Date(earlier && firstReceive > 0 ? Math.min(firstReceive, now) : now),
    ),
    lastFailureAt: new Date(now),
  };
}
