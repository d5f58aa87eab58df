/**
 * A small CloudWatch dashboard: the queues, the function, and what the handler did with the updates.
 */
import { Aws, Duration } from "aws-cdk-lib";
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IWidget,
  type Metric,
  Stats,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
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
    this.dashboard = new Dashboard(this, "Dashboard", {
      // Dashboards are global to the account: the region keeps one stack's per region apart.
      dashboardName: `${props.namePrefix}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        alarmStatusRow(props.alarms),
        outcomesAndQueuesRow(props),
        handBacksRow(props),
        spotCallsRow(props),
        functionRow(props.function),
      ],
    });
  }
}

const MINUTE = Duration.minutes(1);

/** A handler metric per minute: what it did with the updates (summed), or the statistic asked for. */
function perMinute(props: WatchedPipeline, name: MetricName, statistic?: string): Metric {
  return handlerMetric(props.metricsNamespace, props.functionName, name, MINUTE, statistic);
}

/** Every alarm's state, across the top. */
function alarmStatusRow(alarms: PipelineAlarms): IWidget[] {
  return [
    new AlarmStatusWidget({
      title: "Alarms",
      width: 24,
      height: 3,
      alarms: [...alarms.all],
    }),
  ];
}

/** What became of the updates, beside how full the queues are. */
function outcomesAndQueuesRow(props: WatchedPipeline): IWidget[] {
  const maxPerMinute = { period: MINUTE, statistic: Stats.MAXIMUM };
  return [
    new GraphWidget({
      title: "Updates by outcome",
      width: 12,
      left: [
        perMinute(props, MetricName.applied),
        perMinute(props, MetricName.superseded),
        perMinute(props, MetricName.retried),
        perMinute(props, MetricName.deadLettered),
        perMinute(props, MetricName.invalid),
        perMinute(props, MetricName.systemicFailures),
      ],
    }),
    new GraphWidget({
      title: "Queues",
      width: 12,
      left: [
        props.source.metricApproximateNumberOfMessagesVisible(maxPerMinute),
        props.source.metricApproximateNumberOfMessagesNotVisible(maxPerMinute),
        props.dlq.metricApproximateNumberOfMessagesVisible(maxPerMinute),
      ],
      right: [props.source.metricApproximateAgeOfOldestMessage(maxPerMinute)],
    }),
  ];
}

/** Messages handed back for causes not their own, and how long the oldest has been going round. */
function handBacksRow(props: WatchedPipeline): IWidget[] {
  return [
    new GraphWidget({
      title: "Handed back, by cause (not the message's own)",
      width: 12,
      left: [
        perMinute(props, MetricName.handBackPace),
        perMinute(props, MetricName.handBackBusyLease),
        perMinute(props, MetricName.handBackCircuit),
        perMinute(props, MetricName.handBackDeadline),
        perMinute(props, MetricName.handBackHeldBack),
        perMinute(props, MetricName.handBackUnrecorded),
        perMinute(props, MetricName.drift),
      ],
    }),
    new GraphWidget({
      title: "Oldest message going round (s since first enqueued)",
      width: 12,
      left: [perMinute(props, MetricName.oldestHandBackAgeSeconds, Stats.MAXIMUM)],
    }),
  ];
}

/** How often the handler calls Spot, and the pace Spot's 429s taught it. */
function spotCallsRow(props: WatchedPipeline): IWidget[] {
  return [
    new GraphWidget({
      title: "Calls to Spot, and those it refused (429)",
      width: 12,
      left: [perMinute(props, MetricName.spotCalls), perMinute(props, MetricName.refused)],
    }),
    new GraphWidget({
      title: "Pace per instance, learned from Spot's 429s (calls/s)",
      width: 12,
      // One sample per invocation, so the spread across instances shows: a share each.
      left: [Stats.AVERAGE, Stats.MINIMUM, Stats.MAXIMUM].map((statistic) =>
        perMinute(props, MetricName.pacePerSecond, statistic).with({
          label: `${MetricName.pacePerSecond} (${statistic.toLowerCase()})`,
        }),
      ),
    }),
  ];
}

/** Lambda's own view of the function: invocations, errors, throttles and durations. */
function functionRow(fn: IFunction): IWidget[] {
  return [
    new GraphWidget({
      title: "Function",
      width: 12,
      left: [
        fn.metricInvocations({ period: MINUTE }),
        fn.metricErrors({ period: MINUTE }),
        fn.metricThrottles({ period: MINUTE }),
      ],
    }),
    new GraphWidget({
      title: "Duration",
      width: 12,
      left: [
        fn.metricDuration({ period: MINUTE, statistic: Stats.p(50) }),
        fn.metricDuration({ period: MINUTE, statistic: Stats.p(99) }),
      ],
    }),
  ];
}
