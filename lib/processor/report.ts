/** What a batch came to, told twice: one JSON log line per record, one metrics line per invocation. */

import { ReasonClass } from "../dlq/failure-attributes.ts";
import type { Logger } from "../logger.ts";
import { type MetricCounts, MetricName, renderEmf } from "../metrics.ts";
import { receiveCount } from "../sqs/records.ts";
import type { Decided, Decision } from "./decision.ts";

export interface ReportOptions {
  logger: Logger;
  logMetadata: boolean;
  metricsNamespace: string;
  service: string;
  writeMetrics: (line: string) => void;
}

/**
 * Logs each record's outcome and writes the invocation's counts as EMF.
 * @param keep the records the queue keeps (handed back, or whose DLQ write failed)
 */
export function reportBatch(decided: Decided[], keep: Set<string>, options: ReportOptions): void {
  const counts: Required<MetricCounts> = {
    Applied: 0,
    Superseded: 0,
    DeadLettered: 0,
    Retried: 0,
    SystemicFailures: 0,
    Invalid: 0,
  };
  for (const { record, publicId, metadata, decision } of decided) {
    const kept = keep.has(record.messageId);
    const outcome = outcomeName(decision, kept);
    counts[metricOf(outcome)] += 1;
    if (decision.kind === "deadLetter" && decision.failure.reasonClass === ReasonClass.invalid)
      counts.Invalid += 1;
    if (decision.kind === "retry" && decision.status !== undefined && [401, 403].includes(decision.status)) {
      counts.SystemicFailures += 1;
    }
    const line = {
      messageId: record.messageId,
      publicId,
      outcome,
      receiveCount: receiveCount(record),
      ...detailsOf(decision),
      ...(options.logMetadata && metadata !== undefined ? { metadata } : {}),
    };
    if (outcome === "dead-lettered" || outcome === "kept") options.logger.warn(line, "message outcome");
    else options.logger.info(line, "message outcome");
  }
  options.writeMetrics(renderEmf(options.metricsNamespace, options.service, counts));
}

type OutcomeName = "applied" | "superseded" | "dead-lettered" | "retry" | "requeued" | "kept";

function outcomeName(decision: Decision, kept: boolean): OutcomeName {
  if (decision.kind === "retry") return kept ? "retry" : "requeued";
  if (kept) return "kept"; // the DLQ (or the requeue) could not be written: the queue keeps it
  return decision.kind === "deadLetter" ? "dead-lettered" : decision.kind;
}

function metricOf(outcome: OutcomeName): keyof Required<MetricCounts> {
  switch (outcome) {
    case "applied":
      return MetricName.applied;
    case "superseded":
      return MetricName.superseded;
    case "dead-lettered":
      return MetricName.deadLettered;
    default:
      return MetricName.retried;
  }
}

function detailsOf(decision: Decision): Record<string, unknown> {
  switch (decision.kind) {
    case "applied":
      return { status: decision.status, attempts: decision.attempts, latencyMs: decision.latencyMs };
    case "superseded":
      return { reason: decision.reason };
    case "deadLetter": {
      const { reasonClass, reason, status, errorType } = decision.failure;
      return {
        reasonClass,
        reason,
        status,
        errorType,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
    }
    case "retry":
      return {
        reason: decision.reason,
        status: decision.status,
        errorType: decision.errorType,
        visibilitySeconds: decision.visibilitySeconds,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
  }
}
