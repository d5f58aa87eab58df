/**
 * What each alarm watches, when it fires and what on-call should do, before it is created: the
 * queues', Lambda's, the handler's (its EMF metrics) and the ledger's.
 */
import { Duration } from "aws-cdk-lib";
import { ComparisonOperator, type IMetric, MathExpression, Metric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
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

/** The pipeline, with the thresholds its alarms fire at. */
export interface AlarmedPipeline extends WatchedPipeline {
  readonly thresholds: {
    readonly oldestMessageAgeSeconds: number;
    readonly functionErrors: number;
    readonly functionThrottles: number;
    readonly systemicFailures: number;
    readonly drift: number;
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

/** One alarm, before it is created: what it watches, when it fires, and what on-call should do. */
export interface AlarmSpec {
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
export function queueAlarms({ namePrefix, source, dlq, thresholds }: AlarmedPipeline) {
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
export function functionAlarms({ namePrefix, function: fn, functionName, thresholds }: AlarmedPipeline) {
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
        "Lambda throttled the function: more invocations than its reserved concurrency (reservedConcurrency, at least the event source's maxConcurrency) were started, by something other than the event source, or, with nothing reserved, the account's concurrency is used up by other functions. Check who invokes it (CloudTrail) and the account's concurrency.",
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
export function handlerAlarms({ namePrefix, metricsNamespace, functionName, thresholds }: AlarmedPipeline) {
  return {
    systemicFailures: {
      id: "SystemicFailures",
      name: `${namePrefix}-systemic-failures`,
      description:
        "Messages go back to the queue for a cause that is not theirs: the token (Spot refused it, or its secret is empty or unreadable), a redirect, answers that are not Spot's (a gateway), 404s for every order at a wrong base URL, Spot failing calls for several orders in a row (an outage), or the ledger. Nothing is dead-lettered for it. The function's error line (alarm: SystemicFailures) names the cause; fix it (the SecretArn output for the token).",
      metric: handlerMetric(metricsNamespace, functionName, MetricName.systemicFailures),
      ...atLeast(thresholds.systemicFailures),
    },
    drift: {
      id: "SpotDrift",
      name: `${namePrefix}-spot-drift`,
      description:
        "Spot answered 200 for an order, but in a shape outside its documented one, or holding other metadata than was sent (the Drift metric). The update counts as applied. The function's warning lines \"Spot's answer drifts from its documented order\" name the fields (never values): a new shape means Spot changed its API (docs/spot-api.md); other metadata means something else writes these orders (spot-meta verify).",
      metric: handlerMetric(metricsNamespace, functionName, MetricName.drift),
      ...atLeast(thresholds.drift),
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

/** The operations whose throttles and errors the ledger's alarms count: the handler's only calls. */
const LEDGER_OPERATIONS = { getitem: "GetItem", updateitem: "UpdateItem" } as const;

/**
 * A DynamoDB metric summed over the ledger's operations. DynamoDB emits throttles and errors only
 * when they happen, and in metric math `a + b` has no value where either has none (the hot path
 * makes no GetItem at all): each term is `FILL(x, 0)`, so a throttled UpdateItem alone still counts.
 */
export function ledgerOperationsSum(table: ITable, metricName: string, period: Duration): MathExpression {
  const usingMetrics = Object.fromEntries(
    Object.entries(LEDGER_OPERATIONS).map(([id, operation]) => [
      id,
      new Metric({
        namespace: "AWS/DynamoDB",
        metricName,
        dimensionsMap: { TableName: table.tableName, Operation: operation },
        statistic: Stats.SUM,
        period,
      }),
    ]),
  );
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(" + "),
    usingMetrics,
    label: `${metricName}: ${Object.values(LEDGER_OPERATIONS).join(" + ")}`,
    period,
  });
}

/** The ledger's alarms: DynamoDB throttles or fails its reads and writes. */
export function ledgerAlarms(namePrefix: string, table: ITable) {
  const ledgerAlarm = (id: string, name: string, what: string, metricName: string): AlarmSpec => ({
    id,
    name: `${namePrefix}-${name}`,
    description: `DynamoDB ${what} the ledger's reads and writes: messages go back to the queue (cause: ledger) until it recovers. Check the table's metrics and the account's limits.`,
    metric: ledgerOperationsSum(table, metricName, FIVE_MINUTES),
    ...atLeast(1),
  });
  return {
    throttles: ledgerAlarm("LedgerThrottles", "ledger-throttles", "throttled", "ThrottledRequests"),
    errors: ledgerAlarm("LedgerErrors", "ledger-errors", "failed", "SystemErrors"),
  };
}
