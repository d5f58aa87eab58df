/**
 * Counts per outcome as CloudWatch metrics in Embedded Metric Format: one JSON line per invocation
 * that CloudWatch turns into metrics, with no API call and no extra latency. The stack alarms on them.
 */

export const MetricName = {
  applied: "Applied",
  superseded: "Superseded",
  deadLettered: "DeadLettered",
  retried: "Retried",
  systemicFailures: "SystemicFailures",
  invalid: "Invalid",
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export type MetricCounts = Partial<Record<MetricName, number>>;

/** Renders the counts as an EMF document with one dimension, `Service`. */
export function renderEmf(
  namespace: string,
  service: string,
  counts: MetricCounts,
  now = Date.now(),
): string {
  const names = Object.keys(counts) as MetricName[];
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [["Service"]],
          Metrics: names.map((Name) => ({ Name, Unit: "Count" })),
        },
      ],
    },
    Service: service,
    ...counts,
  });
}
