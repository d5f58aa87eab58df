/**
 * The alarms on-call acts on, all sent to one SNS topic (e-mailed when an address is configured):
 * something reached the DLQ or waits there long, messages are getting old (in the queue, or going
 * round as hand-backs), the function fails, is throttled or has its loop stopped by Lambda, the
 * handler reports systemic failures, and the ledger is throttled or failing.
 */
import { Duration, Stack } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { type ITable, Operation } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { MetricName } from "../lib/lambda/metrics.ts";

/** What the alarms and the dashboard watch. */
export interface WatchedPipeline {
  readonly namePrefix: string;
  readonly source: IQueue;
  readonly dlq: IQueue;
  readonly function: IFunction;
  readonly functionName: string;
  readonly metricsNamespace: string;
  /** The applied-updates ledger's table, when the ledger is on. */
  readonly ledgerTable?: ITable | undefined;
}

export interface PipelineAlarmsProps extends WatchedPipeline {
  readonly alarmEmail?: string | undefined;
  readonly thresholds: {
    readonly oldestMessageAgeSeconds: number;
    readonly functionErrors: number;
    readonly functionThrottles: number;
    readonly systemicFailures: number;
    readonly dlqOldestMessageAgeSeconds: number;
  };
}

/** A metric the handler emits in Embedded Metric Format, with its one dimension `Service`. */
export function handlerMetric(
  namespace: string,
  functionName: string,
  metricName: MetricName,
  period = Duration.minutes(5),
  statistic: string = Stats.SUM,
): Metric {
  return new Metric({
    namespace,
    metricName,
    dimensionsMap: { Service: functionName },
    statistic,
    period,
  });
}

export class PipelineAlarms extends Construct {
  readonly topic: Topic;
  readonly dlqNotEmpty: Alarm;
  readonly oldestMessageTooOld: Alarm;
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly systemicFailures: Alarm;
  readonly handedBackTooLong: Alarm;
  readonly dlqMessageTooOld: Alarm;
  readonly recursiveLoopDropped: Alarm;
  readonly ledgerThrottles: Alarm | undefined;
  readonly ledgerErrors: Alarm | undefined;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.topic = this.alarmTopic(props.namePrefix, props.alarmEmail);
    const queue = queueAlarms(props);
    const fn = functionAlarms(props);
    const handler = handlerAlarms(props);
    const ledger = props.ledgerTable ? ledgerAlarms(props.namePrefix, props.ledgerTable) : undefined;
    // Created in this order, not family by family: it is their order in the template.
    this.dlqNotEmpty = this.alarm(queue.dlqNotEmpty);
    this.oldestMessageTooOld = this.alarm(queue.oldestMessageTooOld);
    this.functionErrors = this.alarm(fn.errors);
    this.functionThrottles = this.alarm(fn.throttles);
    this.systemicFailures = this.alarm(handler.systemicFailures);
    this.handedBackTooLong = this.alarm(handler.handedBackTooLong);
    this.dlqMessageTooOld = this.alarm(queue.dlqMessageTooOld);
    this.recursiveLoopDropped = this.alarm(fn.recursiveLoopDropped);
    this.ledgerThrottles = ledger && this.alarm(ledger.throttles);
    this.ledgerErrors = ledger && this.alarm(ledger.errors);
  }

  /** The topic every alarm and its recovery go to; e-mailed when an address is configured. */
  private alarmTopic(namePrefix: string, alarmEmail: string | undefined): Topic {
    const topic = new Topic(this, "Topic", { displayName: `${namePrefix} alarms`, enforceSSL: true });
    // enforceSSL gives the topic a resource policy, which replaces SNS's default one: say outright
    // that this account's CloudWatch alarms may publish.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowThisAccountsAlarms",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );
    if (alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(alarmEmail));
    return topic;
  }

  private alarm(spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, spec.id, {
      alarmName: spec.name,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.operator,
      evaluationPeriods: 1,
      // No data means nothing happened: no messages, no invocations, no failures.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}

/** One alarm, before it is created: what it watches, when it fires, and what on-call should do. */
interface AlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly operator: ComparisonOperator;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Fires on `count` or more in the metric's period: failures, throttles, dropped invocations. */
function atLeast(count: number): Pick<AlarmSpec, "threshold" | "operator"> {
  return { threshold: count, operator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };
}

/** Fires above `limit`: a queue's depth, a message's age. */
function moreThan(limit: number): Pick<AlarmSpec, "threshold" | "operator"> {
  return { threshold: limit, operator: ComparisonOperator.GREATER_THAN_THRESHOLD };
}

/** The queues' alarms: something reached the DLQ or waits there long, or the source queue backs up. */
function queueAlarms({ namePrefix, source, dlq, thresholds }: PipelineAlarmsProps) {
  return {
    dlqNotEmpty: {
      id: "DlqNotEmpty",
      name: `${namePrefix}-dlq-not-empty`,
      description:
        "Messages are waiting in the DLQ: updates that could not be applied. Run `spot-meta dlq stats` and `spot-meta dlq peek` to see why; fix the cause, then `spot-meta dlq replay`.",
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      ...moreThan(0),
    },
    oldestMessageTooOld: {
      id: "OldestMessageTooOld",
      name: `${namePrefix}-oldest-message-too-old`,
      description: `A message has waited in the source queue for more than ${thresholds.oldestMessageAgeSeconds} s: Spot is failing or slow (messages backing off), or the function is not keeping up. Check the SystemicFailures/Retried metrics and the function's logs.`,
      metric: source.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES }),
      ...moreThan(thresholds.oldestMessageAgeSeconds),
    },
    dlqMessageTooOld: {
      id: "DlqMessageTooOld",
      name: `${namePrefix}-dlq-message-too-old`,
      description: `A message has waited in the DLQ for more than ${thresholds.dlqOldestMessageAgeSeconds} s; the DLQ keeps messages 14 days, then they are gone. Replay, export or purge it (spot-meta dlq stats).`,
      metric: dlq.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES }),
      ...moreThan(thresholds.dlqOldestMessageAgeSeconds),
    },
  } satisfies Record<string, AlarmSpec>;
}

/** Lambda's own alarms on the function: it fails, is throttled, or has its loop stopped. */
function functionAlarms({ namePrefix, function: fn, functionName, thresholds }: PipelineAlarmsProps) {
  return {
    errors: {
      id: "FunctionErrors",
      name: `${namePrefix}-function-errors`,
      description:
        "Invocations failed as a whole (a crash, a timeout, bad configuration); their messages return to the queue. Read the function's logs for the error.",
      metric: fn.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES }),
      ...atLeast(thresholds.functionErrors),
    },
    throttles: {
      id: "FunctionThrottles",
      name: `${namePrefix}-function-throttles`,
      description:
        "Lambda throttled the function: the account's or the function's concurrency is exhausted. Check other functions' concurrency or lower maxConcurrency.",
      metric: fn.metricThrottles({ statistic: Stats.SUM, period: FIVE_MINUTES }),
      ...atLeast(thresholds.functionThrottles),
    },
    recursiveLoopDropped: {
      id: "RecursiveLoopDropped",
      name: `${namePrefix}-recursive-loop-dropped`,
      description:
        "Lambda stopped the function's loop through its own queue and dropped messages (RecursiveInvocationsDropped). The function's recursive loop setting must be Allow: check it was not changed outside the stack.",
      metric: new Metric({
        namespace: "AWS/Lambda",
        metricName: "RecursiveInvocationsDropped",
        dimensionsMap: { FunctionName: functionName },
        statistic: Stats.SUM,
        period: FIVE_MINUTES,
      }),
      ...atLeast(1),
    },
  } satisfies Record<string, AlarmSpec>;
}

/** The alarms on what the handler reports: systemic failures, and messages going round as hand-backs. */
function handlerAlarms({ namePrefix, metricsNamespace, functionName, thresholds }: PipelineAlarmsProps) {
  return {
    systemicFailures: {
      id: "SystemicFailures",
      name: `${namePrefix}-systemic-failures`,
      description:
        "Messages go back to the queue for a cause that is not theirs: the token (Spot refused it, or its secret is empty or unreadable), a redirect, answers that are not Spot's (a gateway), 404s for every order at a wrong base URL, or the ledger. Nothing is dead-lettered for it. The function's error line (alarm: SystemicFailures) names the cause; fix it (the SecretArn output for the token).",
      metric: handlerMetric(metricsNamespace, functionName, MetricName.systemicFailures),
      ...atLeast(thresholds.systemicFailures),
    },
    handedBackTooLong: {
      id: "HandedBackTooLong",
      name: `${namePrefix}-handed-back-too-long`,
      description: `A message has been going round for more than ${thresholds.oldestMessageAgeSeconds} s since it was first enqueued, handed back for causes not its own (each time as a new message, so the queue's age alarm does not see it). The HandBack… and SystemicFailures metrics say which cause; the function's logs say more.`,
      metric: handlerMetric(
        metricsNamespace,
        functionName,
        MetricName.oldestHandBackAgeSeconds,
        FIVE_MINUTES,
        Stats.MAXIMUM,
      ),
      ...moreThan(thresholds.oldestMessageAgeSeconds),
    },
  } satisfies Record<string, AlarmSpec>;
}

/** The ledger's alarms: DynamoDB throttles or fails its reads and writes. */
function ledgerAlarms(namePrefix: string, table: ITable) {
  const operations = [Operation.GET_ITEM, Operation.UPDATE_ITEM];
  const ledgerAlarm = (id: string, name: string, what: string, metric: IMetric): AlarmSpec => ({
    id,
    name: `${namePrefix}-${name}`,
    description: `DynamoDB ${what} the ledger's reads and writes: messages go back to the queue (cause: ledger) until it recovers. Check the table's metrics and the account's limits.`,
    metric,
    ...atLeast(1),
  });
  return {
    throttles: ledgerAlarm(
      "LedgerThrottles",
      "ledger-throttles",
      "throttled",
      table.metricThrottledRequestsForOperations({ operations, period: FIVE_MINUTES }),
    ),
    errors: ledgerAlarm(
      "LedgerErrors",
      "ledger-errors",
      "failed",
      table.metricSystemErrorsForOperations({ operations, period: FIVE_MINUTES }),
    ),
  };
}
