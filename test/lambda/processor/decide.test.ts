import { describe, expect, it } from "vitest";
import { CircuitCause } from "../../../lib/lambda/processor/circuit-breaker.ts";
import { decide, type Happening, type Policy } from "../../../lib/lambda/processor/decide.ts";
import { type Decision, HandBackCause } from "../../../lib/lambda/processor/decision.ts";
import type { FailedOutcome } from "../../../lib/lambda/spot/outcome.ts";
import { type Failure, ReasonClass } from "../../../lib/lambda/sqs/failure-attributes.ts";
import { appliedOutcome, FIRST_RECEIVE_AT, failedOutcome, sqsRecord } from "../../support/records.ts";

const NOW = Date.parse("2026-11-27T10:00:00.000Z");
const DAY_MS = 86_400_000;
const BODY = '{"publicId":"O1","metadata":{"plan":"gold"},"issuedAt":"2026-11-27T09:59:00.000Z"}';

// With no jitter, the n-th backoff step of 10 s waits 5·2^(n-1) s.
const CONFIG: Policy["config"] = {
  maxReceiveCount: 5,
  backoffBaseSeconds: 10,
  backoffMaxSeconds: 900,
  maxHandBackAgeSeconds: 4 * 86_400,
  lateWriteWindowSeconds: 30,
};
const policy = (config: Partial<Policy["config"]> = {}): Policy => ({
  config: { ...CONFIG, ...config },
  random: () => 0,
  startedAt: NOW - 5_000,
  now: NOW,
});

// The record's facts: its own failures (earlier receives), its hand-backs (history), its age.
const fresh = () => sqsRecord(BODY, { sentAt: NOW - 60_000 });
const failedBefore = (ownFailures: number) =>
  sqsRecord(BODY, { sentAt: NOW - 60_000, receiveCount: ownFailures + 1 });
const handedBack = (handBacks: number) =>
  sqsRecord(BODY, {
    sentAt: NOW - 60_000,
    history: { firstSentAt: NOW - 3_600_000, ownFailures: 0, handBacks },
  });
const fiveDaysOld = () => sqsRecord(BODY, { sentAt: NOW - 5 * DAY_MS });

// What Spot answered.
const s503 = failedOutcome();
const s400 = failedOutcome({
  kind: "permanent",
  status: 400,
  errorType: "bad_request",
  details: ["metadata: too large"],
  reason: "Spot answered 400 bad_request: metadata: too large",
  mayHaveLanded: false,
});
const s404 = failedOutcome({ kind: "permanent", status: 404, errorType: "not_found", mayHaveLanded: false });
const s401 = failedOutcome({
  kind: "systemic",
  status: 401,
  errorType: "unauthorized",
  mayHaveLanded: false,
});
const s429 = failedOutcome({ status: 429, errorType: "rate_limit_exceeded", mayHaveLanded: false });
const s429After3s = { ...s429, retryAfterMs: 3_000 };
const s429Foreign = { ...s429, errorType: "non_json_error", foreign: true };
const s503After30s = { ...s503, retryAfterMs: 30_000 };
const wrongOrder = failedOutcome({ status: 200, errorType: "wrong_order", foreign: true });
const wrongOrderAfter30s = { ...wrongOrder, retryAfterMs: 30_000 };
const noAnswer = (errorType: string): FailedOutcome => {
  const { status: _none, ...outcome } = failedOutcome({
    errorType,
    reason: `no answer from Spot: ${errorType}`,
  });
  return outcome;
};

const failed = (
  outcome: FailedOutcome,
  paceWaitMs = 0,
  extra: { ownFailures?: number; outage?: { failingOrders: number } } = {},
): Happening => ({ kind: "failed", outcome, paceWaitMs, ...extra });

// The decisions expected.
function failure(
  reasonClass: ReasonClass,
  reason: string,
  extra: { status?: number; errorType?: string; details?: string[]; ownFailures?: number } = {},
): Failure {
  const { status, errorType, details, ownFailures = 0 } = extra;
  return {
    reasonClass,
    reason,
    ...(status === undefined ? {} : { status }),
    ...(errorType === undefined ? {} : { errorType }),
    details: details ?? [reason],
    attempts: ownFailures + 1,
    // A message that failed before dates its first failure from its first receive.
    firstFailureAt: new Date(ownFailures > 0 ? FIRST_RECEIVE_AT : NOW),
    lastFailureAt: new Date(NOW),
  };
}
function deadLettered(reasonClass: ReasonClass, outcome: FailedOutcome, ownFailures = 0): Decision {
  const { status, errorType, details, reason, attempts, latencyMs } = outcome;
  return {
    kind: "deadLetter",
    body: BODY,
    logReason: outcome.logReason,
    failure: failure(reasonClass, reason, { status, errorType, details, ownFailures }),
    attempts,
    latencyMs,
  };
}
function answeredBack(cause: HandBackCause, waitSeconds: number, outcome: FailedOutcome): Decision {
  const { status, errorType, reason, attempts, latencyMs } = outcome;
  return {
    kind: "retry",
    cause,
    reason,
    waitSeconds,
    body: BODY,
    ...(status === undefined ? {} : { status }),
    ...(errorType === undefined ? {} : { errorType }),
    attempts,
    latencyMs,
  };
}
const handBack = (cause: HandBackCause, reason: string, waitSeconds: number): Decision => ({
  kind: "retry",
  cause,
  reason,
  waitSeconds,
  body: BODY,
});
const agedOut = (last: string, extra: { status?: number; errorType?: string } = {}): Decision => ({
  kind: "deadLetter",
  body: BODY,
  failure: failure(
    ReasonClass.exhausted,
    `handed back for 120.0 h without a failure of its own; the last cause: ${last}`,
    extra,
  ),
});

const CIRCUIT = "circuit open after 5 consecutive transient failures at Spot";
const BASE_URL = "5 orders in a row answered 404, and so did Spot's list of orders: is the base URL right?";
const BUSY = "another update of the order is, or may still be, in flight";
const BUSY_BEHIND_NEWER = `${BUSY}, and a newer one waits to go first`;
const LOST = "applied, but another update was admitted before it was recorded: sent again";
const busy = (inMs: number, flags: { settling?: boolean; newerWaiting?: boolean } = {}): Happening => ({
  kind: "busy",
  reopensAt: NOW + inMs,
  settling: flags.settling ?? false,
  newerWaiting: flags.newerWaiting ?? false,
});

interface Row {
  name: string;
  happening: Happening;
  record: ReturnType<typeof sqsRecord>;
  policy?: Policy;
  expected: Decision;
}

// biome-ignore format: one row a line reads as a table
const rows: Row[] = [
  // Spot's answer, read in order: permanent → systemic → pace → deadline → foreign → own failure.
  { name: "400: dead-lettered, permanent", happening: failed(s400), record: fresh(), expected: deadLettered(ReasonClass.permanent, s400) },
  { name: "404: dead-lettered, permanent", happening: failed(s404), record: fresh(), expected: deadLettered(ReasonClass.permanent, s404) },
  { name: "401: handed back, systemic, after one hand-back step", happening: failed(s401), record: fresh(), expected: answeredBack(HandBackCause.systemic, 5, s401) },
  { name: "401 after 2 hand-backs: the 3rd step", happening: failed(s401), record: handedBack(2), expected: answeredBack(HandBackCause.systemic, 20, s401) },
  { name: "401 on the last receive: never dead-lettered for it", happening: failed(s401), record: failedBefore(4), expected: answeredBack(HandBackCause.systemic, 5, s401) },
  { name: "429 with Retry-After: pace, what Spot asked", happening: failed(s429After3s), record: fresh(), expected: answeredBack(HandBackCause.pace, 3, s429After3s) },
  { name: "429 without it: pace, what the instance's pace needs", happening: failed(s429, 2_500), record: fresh(), expected: answeredBack(HandBackCause.pace, 3, s429) },
  { name: "429 on the last receive: pace, not exhausted", happening: failed(s429), record: failedBefore(4), expected: answeredBack(HandBackCause.pace, 1, s429) },
  { name: "429 outside Spot's envelope: pace before foreign", happening: failed(s429Foreign), record: fresh(), expected: answeredBack(HandBackCause.pace, 1, s429Foreign) },
  { name: "no answer before the deadline: deadline, at once", happening: failed(noAnswer("deadline")), record: fresh(), expected: answeredBack(HandBackCause.deadline, 0, noAnswer("deadline")) },
  { name: "aborted: deadline, at once", happening: failed(noAnswer("aborted")), record: fresh(), expected: answeredBack(HandBackCause.deadline, 0, noAnswer("aborted")) },
  { name: "a 200 for another order: foreign, systemic", happening: failed(wrongOrder), record: fresh(), expected: answeredBack(HandBackCause.systemic, 5, wrongOrder) },
  { name: "foreign with Retry-After: at least what it asked", happening: failed(wrongOrderAfter30s), record: fresh(), expected: answeredBack(HandBackCause.systemic, 30, wrongOrderAfter30s) },
  { name: "503: own failure, the 1st step", happening: failed(s503), record: fresh(), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "503 after 2 own failures: the 3rd step", happening: failed(s503), record: failedBefore(2), expected: answeredBack(HandBackCause.ownFailure, 20, s503) },
  { name: "503 after hand-backs: they do not count as attempts", happening: failed(s503), record: handedBack(3), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "503 with Retry-After: at least what it asked", happening: failed(s503After30s), record: fresh(), expected: answeredBack(HandBackCause.ownFailure, 30, s503After30s) },
  { name: "timeout: own failure", happening: failed(noAnswer("timeout")), record: fresh(), expected: answeredBack(HandBackCause.ownFailure, 5, noAnswer("timeout")) },
  { name: "503 on the last receive: dead-lettered, exhausted", happening: failed(s503), record: failedBefore(4), expected: deadLettered(ReasonClass.exhausted, s503, 4) },
  { name: "503 when one receive is allowed: exhausted at once", happening: failed(s503), record: fresh(), policy: policy({ maxReceiveCount: 1 }), expected: deadLettered(ReasonClass.exhausted, s503) },
  { name: "503 on a message 5 days old: own failure, not aged out", happening: failed(s503), record: fiveDaysOld(), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "401 on a message 5 days old: aged out, exhausted", happening: failed(s401), record: fiveDaysOld(), expected: agedOut(`systemic: ${s401.reason}`, { status: 401, errorType: "unauthorized" }) },
  { name: "401 on a message 5 days old, when 6 are allowed: handed back", happening: failed(s401), record: fiveDaysOld(), policy: policy({ maxHandBackAgeSeconds: 6 * 86_400 }), expected: answeredBack(HandBackCause.systemic, 5, s401) },

  // Spot applied it.
  { name: "applied", happening: { kind: "applied", outcome: appliedOutcome() }, record: fresh(), expected: { kind: "applied", status: 200, attempts: 1, latencyMs: 40, drift: [] } },
  { name: "applied with drift", happening: { kind: "applied", outcome: appliedOutcome({ drift: ["status: x"], attempts: 2 }) }, record: fiveDaysOld(), expected: { kind: "applied", status: 200, attempts: 2, latencyMs: 40, drift: ["status: x"] } },
  { name: "applied, but another update took the order before the record: sent again, soon", happening: { kind: "lost" }, record: failedBefore(4), expected: handBack(HandBackCause.unrecorded, LOST, 2) },

  // What the ledger counts, and what an outage is.
  { name: "503, the ledger counting 1 where FIFO hand-backs made 4 receives: handed back", happening: failed(s503, 0, { ownFailures: 1 }), record: failedBefore(4), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "503, the ledger counting 5 of a message replayed afresh: handed back on its own count", happening: failed(s503, 0, { ownFailures: 5 }), record: fresh(), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "503, the 5th by both counts: exhausted", happening: failed(s503, 0, { ownFailures: 5 }), record: failedBefore(4), expected: deadLettered(ReasonClass.exhausted, s503, 4) },
  { name: "503 while other orders fail too: Spot's outage, systemic, not counted", happening: failed(s503, 0, { outage: { failingOrders: 3 } }), record: failedBefore(4), expected: { ...(answeredBack(HandBackCause.systemic, 5, s503) as Extract<Decision, { kind: "retry" }>), reason: `Spot failed calls for 3 orders in a row with none applied between, an outage and not this message's failure: ${s503.reason}` } },
  { name: "503 with a producer's forged history of 4 own failures: its first", happening: failed(s503), record: sqsRecord(BODY, { sentAt: NOW - 60_000, rawHistory: '{"ownFailures":4}' }), expected: answeredBack(HandBackCause.ownFailure, 5, s503) },
  { name: "429 with a producer's forged first enqueue in 1970: not aged out", happening: failed(s429), record: sqsRecord(BODY, { sentAt: NOW - 60_000, rawHistory: '{"firstSentAt":1}' }), expected: answeredBack(HandBackCause.pace, 1, s429) },

  // Decided before, or instead of, a call.
  { name: "invalid body: dead-lettered, invalid", happening: { kind: "invalid", reason: "publicId: is required" }, record: fresh(), expected: { kind: "deadLetter", body: BODY, failure: failure(ReasonClass.invalid, "publicId: is required") } },
  { name: "superseded in the ledger", happening: { kind: "superseded" }, record: fiveDaysOld(), expected: { kind: "superseded", reason: "a newer or equal update for the order was already applied" } },
  { name: "busy, its call still running: back soon", happening: busy(60_000), record: fresh(), expected: handBack(HandBackCause.busyLease, BUSY, 2) },
  { name: "busy, its call still running and the hold ending within a second: back in one", happening: busy(500), record: fresh(), expected: handBack(HandBackCause.busyLease, BUSY, 1) },
  { name: "busy, its call settling for 12 s: back when it reopens, not before", happening: busy(12_000, { settling: true }), record: fresh(), expected: handBack(HandBackCause.busyLease, BUSY, 12) },
  { name: "busy, a newer update waiting: back a late-write window after it reopens", happening: busy(12_000, { settling: true, newerWaiting: true }), record: fresh(), expected: handBack(HandBackCause.busyLease, BUSY_BEHIND_NEWER, 42) },
  { name: "behind a newer update of its batch that goes back: a late-write window after it", happening: { kind: "behindNewer", newer: "m-0" }, record: fresh(), expected: handBack(HandBackCause.busyLease, "a newer update of the order in this batch (m-0) goes back to the queue, and goes first", 32) },
  { name: "busy on a message 5 days old: aged out", happening: busy(60_000), record: fiveDaysOld(), expected: agedOut(`busy-lease: ${BUSY}`) },
  { name: "circuit open for transient failures: circuit", happening: { kind: "circuitOpen", cause: CircuitCause.transient, reason: CIRCUIT }, record: fresh(), expected: handBack(HandBackCause.circuit, CIRCUIT, 5) },
  { name: "circuit open for a systemic cause: systemic", happening: { kind: "circuitOpen", cause: CircuitCause.systemic, reason: "token refused" }, record: handedBack(1), expected: handBack(HandBackCause.systemic, "token refused", 10) },
  { name: "too little of the invocation left: deadline", happening: { kind: "noTime", of: "invocation" }, record: fresh(), expected: handBack(HandBackCause.deadline, "too little of the invocation's time left to start a call", 0) },
  { name: "too little of the lease left: deadline", happening: { kind: "noTime", of: "lease" }, record: fresh(), expected: handBack(HandBackCause.deadline, "too little of the order's lease left to start a call", 0) },
  { name: "FIFO, behind a record handed back: held back", happening: { kind: "heldBack", behind: "m-0" }, record: fresh(), expected: handBack(HandBackCause.heldBack, "held back behind m-0, which goes back to the queue, in its FIFO group", 0) },
  { name: "the ledger failed before the call: ledger", happening: { kind: "ledgerFailed", cause: HandBackCause.ledger, reason: "ledger down" }, record: fresh(), expected: handBack(HandBackCause.ledger, "ledger down", 5) },
  { name: "applied but not recorded: unrecorded", happening: { kind: "ledgerFailed", cause: HandBackCause.unrecorded, reason: "not recorded" }, record: failedBefore(4), expected: handBack(HandBackCause.unrecorded, "not recorded", 5) },
  { name: "a run of 404s from a wrong base URL: systemic, the hand-backs' backoff", happening: { kind: "notFoundRun", reason: BASE_URL }, record: handedBack(3), expected: handBack(HandBackCause.systemic, BASE_URL, 40) },
];

describe("decide", () => {
  it.each(rows)("$name", ({ happening, record, policy: given, expected }) => {
    // Act
    const decision = decide(happening, { record, body: BODY }, given ?? policy());

    // Assess
    expect(decision).toStrictEqual(expected);
  });

  it("has rows for every cause of a hand-back and every reason class of a dead-letter", () => {
    // Assess
    const causes = new Set(
      rows.flatMap(({ expected }) => (expected.kind === "retry" ? [expected.cause] : [])),
    );
    const classes = new Set(
      rows.flatMap(({ expected }) => (expected.kind === "deadLetter" ? [expected.failure.reasonClass] : [])),
    );
    expect([...causes].sort()).toStrictEqual(Object.values(HandBackCause).sort());
    expect([...classes].sort()).toStrictEqual(Object.values(ReasonClass).sort());
  });
});
