/** What a batch came to, told twice: one JSON log line per record, one metrics line per invocation. */

import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Logger } from "../logger.ts";
import { addCounts, type MetricCounts, MetricName } from "../metrics.ts";
import { ReasonClass } from "../sqs/failure-attributes.ts";
import { receiveCount } from "../sqs/records.ts";
import { type Decided, type Decision, HandBackCause } from "./decision.ts";
import { historyOf } from "./history.ts";
import type { PaceReport } from "./pacer.ts";

export interface ReportOptions {
  logger: Logger;
  logMetadata: boolean;
  /** The invocation's metrics store; whoever handed it flushes it. */
  metrics: Metrics;
}

/** The metric that counts each cause of a hand-back. */
const CAUSE_METRIC: Record<HandBackCause, MetricName> = {
  [HandBackCause.ownFailure]: MetricName.retried,
  [HandBackCause.pace]: MetricName.handBackPace,
  [HandBackCause.busyLease]: MetricName.handBackBusyLease,
  [HandBackCause.circuit]: MetricName.handBackCircuit,
  [HandBackCause.deadline]: MetricName.handBackDeadline,
  [HandBackCause.systemic]: MetricName.systemicFailures,
  [HandBackCause.ledger]: MetricName.systemicFailures,
  [HandBackCause.heldBack]: MetricName.handBackHeldBack,
  [HandBackCause.unrecorded]: MetricName.handBackUnrecorded,
};

/**
 * Logs each record's outcome and adds the invocation's counts to its metrics store.
 * @param keep the records the queue keeps (handed back, or whose DLQ write failed)
 * @param pace the invocation's calls at Spot, its refusals, and the instance's pace
 */
export function reportBatch(
  decided: Decided[],
  keep: Set<string>,
  pace: PaceReport,
  options: ReportOptions,
): void {
  const counts: MetricCounts = {
    Applied: 0,
    Superseded: 0,
    DeadLettered: 0,
    Retried: 0,
    SystemicFailures: 0,
    Invalid: 0,
    SpotCalls: pace.calls,
    Refused: pace.refused,
    // Rounded: a gauge read per minute needs no more than a tenth of a call per second.
    PacePerSecond: Math.round(pace.perSecond * 10) / 10,
  };
  const count = (name: MetricName) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  let oldestHandBackAgeMs: number | undefined;
  const now = Date.now();
  for (const { record, publicId, issuedAt, metadata, decision, decidedAt } of decided) {
    const kept = keep.has(record.messageId);
    if (decision.kind === "retry") {
      const ageMs = now - historyOf(record).firstSentAt;
      oldestHandBackAgeMs = Math.max(oldestHandBackAgeMs ?? 0, ageMs);
    }
    const outcome = outcomeName(decision, kept);
    if (outcome === "applied") count(MetricName.applied);
    else if (outcome === "superseded") count(MetricName.superseded);
    else if (outcome === "dead-lettered") count(MetricName.deadLettered);
    else if (decision.kind === "retry") count(CAUSE_METRIC[decision.cause]);
    else count(MetricName.retried); // a dead-letter that could not be sent: the queue keeps it
    if (decision.kind === "deadLetter" && decision.failure.reasonClass === ReasonClass.invalid)
      count(MetricName.invalid);
    if (decision.kind === "applied" && decision.drift.length > 0) count(MetricName.drift);
    const line = {
      messageId: record.messageId,
      publicId,
      issuedAt,
      outcome,
      // The line's own time is the batch's end; this is when Spot answered (or the plan decided).
      decidedAt: new Date(decidedAt).toISOString(),
      receiveCount: receiveCount(record),
      ...detailsOf(decision),
      ...(options.logMetadata && metadata !== undefined ? { metadata } : {}),
    };
    if (outcome === "dead-lettered" || outcome === "kept") options.logger.warn(line, "message outcome");
    else options.logger.info(line, "message outcome");
  }
  if (oldestHandBackAgeMs !== undefined)
    counts.OldestHandBackAgeSeconds = Math.round(oldestHandBackAgeMs / 1000);
  addCounts(options.metrics, counts);
}

type OutcomeName = "applied" | "superseded" | "dead-lettered" | "retry" | "requeued" | "kept";

function outcomeName(decision: Decision, kept: boolean): OutcomeName {
  if (decision.kind === "retry") return kept ? "retry" : "requeued";
  if (decision.kind === "applied") return "applied";
  if (kept) return "kept"; // the DLQ could not be written: the queue keeps it
  return decision.kind === "deadLetter" ? "dead-lettered" : decision.kind;
}

function detailsOf(decision: Decision): Record<string, unknown> {
  switch (decision.kind) {
    case "applied":
      return {
        status: decision.status,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
        ...(decision.drift.length > 0 ? { drift: decision.drift } : {}),
      };
    case "superseded":
      return { reason: decision.reason };
    case "deadLetter": {
      const { reasonClass, reason, status, errorType } = decision.failure;
      return {
        reasonClass,
        reason: decision.logReason ?? reason,
        status,
        errorType,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
    }
    case "retry":
      return {
        cause: decision.cause,
        reason: decision.reason,
        status: decision.status,
        errorType: decision.errorType,
        waitSeconds: decision.waitSeconds,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
  }
}
