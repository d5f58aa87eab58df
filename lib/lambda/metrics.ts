/**
 * Counts per outcome as CloudWatch metrics in Embedded Metric Format: one JSON line per invocation
 * that CloudWatch turns into metrics, with no API call and no extra latency. The stack alarms on them.
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

export const MetricName = {
  applied: "Applied",
  superseded: "Superseded",
  deadLettered: "DeadLettered",
  /** Handed back after the message's own failure at Spot. */
  retried: "Retried",
  /** Handed back for a cause that is nobody's pace or fault but ours: the token, the ledger, a gateway. */
  systemicFailures: "SystemicFailures",
  invalid: "Invalid",
  /** Handed back, not the message's fault: Spot's pace (429). */
  handBackPace: "HandBackPace",
  /** Another update of the order was, or might still be, in flight. */
  handBackBusyLease: "HandBackBusyLease",
  /** The circuit opened after Spot failed in a row. */
  handBackCircuit: "HandBackCircuit",
  /** Too little of the invocation, or of the order's lease, was left. */
  handBackDeadline: "HandBackDeadline",
  /** FIFO: behind a record of its group that went back. */
  handBackHeldBack: "HandBackHeldBack",
  /** Applied, but the ledger could not record it: sent again to be recorded. */
  handBackUnrecorded: "HandBackUnrecorded",
  /** Spot's 200 drifted from its documented order, or held other metadata than was sent. */
  drift: "Drift",
  /** Applied while another write might still land: re-asserted after the late-write window. */
  reasserts: "Reasserts",
  /**
   * Of the messages an invocation handed back, how long ago the oldest was first enqueued: a message
   * going round is a new message after each requeue, so the queue's own age metric never sees it.
   */
  oldestHandBackAgeSeconds: "OldestHandBackAgeSeconds",
  /** Calls started at Spot, retries included. */
  spotCalls: "SpotCalls",
  /** Calls Spot refused with a 429, retries included: its limit, met. */
  refused: "Refused",
  /** The instance's pace at the end of the invocation (calls per second): a gauge, one sample per invocation. */
  pacePerSecond: "PacePerSecond",
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export type MetricCounts = Partial<Record<MetricName, number>>;

/** The metrics that are not counts, with their unit. */
const UNITS: Partial<Record<MetricName, (typeof MetricUnit)[keyof typeof MetricUnit]>> = {
  [MetricName.oldestHandBackAgeSeconds]: MetricUnit.Seconds,
  [MetricName.pacePerSecond]: MetricUnit.CountPerSecond,
};

/**
 * Renders the figures as one EMF document (Powertools' serializer: its limits and validation) with
 * one dimension, `Service` — not Powertools' default `service`, which the alarms and the dashboard
 * do not use (Lambda's log stream tells the instance). A document per invocation, built apart from
 * any other: the local stack runs several invocations at once in one process.
 */
export function renderEmf(
  namespace: string,
  service: string,
  counts: MetricCounts,
  now = Date.now(),
): string {
  const metrics = new Metrics({ namespace });
  metrics.clearDefaultDimensions();
  metrics.addDimension("Service", service);
  metrics.setTimestamp(now);
  for (const [name, value] of Object.entries(counts) as [MetricName, number][]) {
    metrics.addMetric(name, UNITS[name] ?? MetricUnit.Count, value);
  }
  return JSON.stringify(metrics.serializeMetrics());
}
