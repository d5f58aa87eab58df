/**
 * Counts per outcome as CloudWatch metrics in Embedded Metric Format: one JSON line per invocation
 * that CloudWatch turns into metrics, with no API call and no extra latency. The stack alarms on them.
 * Powertools keeps the store and writes the line; this module names the metrics and their units.
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

/** An Embedded Metric Format document, as Powertools serializes it. */
export type EmfDocument = ReturnType<Metrics["serializeMetrics"]>;

/**
 * A store for an invocation's metrics, flushed as one EMF document with one dimension, `Service` —
 * not Powertools' default `service`, which the alarms and the dashboard do not use (Lambda's log
 * stream tells the instance). Flushed by Powertools' `logMetrics` middleware after each invocation.
 * @param service the `Service` dimension: the Lambda function's name
 * @param onFlush where each document goes instead of stdout (the tests read them, the demo drops them)
 */
export function createMetrics(
  namespace: string,
  service = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "spot-order-metadata",
  onFlush?: (document: EmfDocument) => void,
): Metrics {
  const metrics = onFlush === undefined ? new Metrics({ namespace }) : new MetricsTo({ namespace }, onFlush);
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Service: service });
  return metrics;
}

/** Adds the figures to the store, each with its unit. */
export function addCounts(metrics: Metrics, counts: MetricCounts): void {
  for (const [name, value] of Object.entries(counts) as [MetricName, number][]) {
    metrics.addMetric(name, UNITS[name] ?? MetricUnit.Count, value);
  }
}

/** A store whose flush hands the document to a function instead of writing it to stdout. */
class MetricsTo extends Metrics {
  readonly #onFlush: (document: EmfDocument) => void;

  constructor(options: ConstructorParameters<typeof Metrics>[0], onFlush: (document: EmfDocument) => void) {
    super(options);
    this.#onFlush = onFlush;
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.#onFlush(this.serializeMetrics());
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}
