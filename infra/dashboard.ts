/**
 * A small CloudWatch dashboard: the queues, the function, and what the handler did with the updates.
 */
import { Aws, Duration } from "aws-cdk-lib";
import { AlarmStatusWidget, Dashboard, GraphWidget, Stats } from "aws-cdk-lib/aws-cloudwatch";
import { Construct } from "constructs";
import { MetricName } from "../lib/lambda/metrics.ts";
import { handlerMetric, type PipelineAlarms, type WatchedPipeline } from "./alarms.ts";

export interface PipelineDashboardProps extends WatchedPipeline {
  readonly alarms: PipelineAlarms;
}

export class PipelineDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const outcome = (name: MetricName) =>
      handlerMetric(props.metricsNamespace, props.functionName, name, minute);
    const { alarms } = props;
    this.dashboard = new Dashboard(this, "Dashboard", {
      // Dashboards are global to the account: the region keeps one stack's per region apart.
      dashboardName: `${props.namePrefix}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new AlarmStatusWidget({
            title: "Alarms",
            width: 24,
            height: 3,
            alarms: [
              alarms.dlqNotEmpty,
              alarms.oldestMessageTooOld,
              alarms.functionErrors,
              alarms.functionThrottles,
              alarms.systemicFailures,
              alarms.handedBackTooLong,
              alarms.dlqMessageTooOld,
              alarms.recursiveLoopDropped,
              ...(alarms.ledgerThrottles ? [alarms.ledgerThrottles] : []),
              ...(alarms.ledgerErrors ? [alarms.ledgerErrors] : []),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: "Updates by outcome",
            width: 12,
            left: [
              outcome(MetricName.applied),
              outcome(MetricName.superseded),
              outcome(MetricName.retried),
              outcome(MetricName.deadLettered),
              outcome(MetricName.invalid),
              outcome(MetricName.systemicFailures),
            ],
          }),
          new GraphWidget({
            title: "Queues",
            width: 12,
            left: [
              props.source.metricApproximateNumberOfMessagesVisible({
                period: minute,
                statistic: Stats.MAXIMUM,
              }),
              props.source.metricApproximateNumberOfMessagesNotVisible({
                period: minute,
                statistic: Stats.MAXIMUM,
              }),
              props.dlq.metricApproximateNumberOfMessagesVisible({
                period: minute,
                statistic: Stats.MAXIMUM,
              }),
            ],
            right: [
              props.source.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: "Handed back, by cause (not the message's own)",
            width: 12,
            left: [
              outcome(MetricName.handBackPace),
              outcome(MetricName.handBackBusyLease),
              outcome(MetricName.handBackCircuit),
              outcome(MetricName.handBackDeadline),
              outcome(MetricName.handBackHeldBack),
              outcome(MetricName.handBackUnrecorded),
              outcome(MetricName.reasserts),
              outcome(MetricName.drift),
            ],
          }),
          new GraphWidget({
            title: "Oldest message going round (s since first enqueued)",
            width: 12,
            left: [
              handlerMetric(
                props.metricsNamespace,
                props.functionName,
                MetricName.oldestHandBackAgeSeconds,
                minute,
                Stats.MAXIMUM,
              ),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: "Calls to Spot, and those it refused (429)",
            width: 12,
            left: [outcome(MetricName.spotCalls), outcome(MetricName.refused)],
          }),
          new GraphWidget({
            title: "Pace per instance, learned from Spot's 429s (calls/s)",
            width: 12,
            // One sample per invocation, so the spread across instances shows: a share each.
            left: [Stats.AVERAGE, Stats.MINIMUM, Stats.MAXIMUM].map((statistic) =>
              handlerMetric(
                props.metricsNamespace,
                props.functionName,
                MetricName.pacePerSecond,
                minute,
                statistic,
              ).with({ label: `${MetricName.pacePerSecond} (${statistic.toLowerCase()})` }),
            ),
          }),
        ],
        [
          new GraphWidget({
            title: "Function",
            width: 12,
            left: [
              props.function.metricInvocations({ period: minute }),
              props.function.metricErrors({ period: minute }),
              props.function.metricThrottles({ period: minute }),
            ],
          }),
          new GraphWidget({
            title: "Duration",
            width: 12,
            left: [
              props.function.metricDuration({ period: minute, statistic: Stats.p(50) }),
              props.function.metricDuration({ period: minute, statistic: Stats.p(99) }),
            ],
          }),
        ],
      ],
    });
  }
}
