/**
 * The alarms on-call acts on, all sent to one SNS topic (`alarmDestination`: the stack's own,
 * e-mailed, or an existing one): something reached the DLQ or waits there long, messages are getting
 * old (in the queue, or going round as hand-backs), the function fails, is throttled or has its loop
 * stopped by Lambda, the handler reports systemic failures or Spot's answers drift, and the ledger
 * is throttled or failing.
 */
import { Alarm, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import {
  type AlarmedPipeline,
  type AlarmSpec,
  functionAlarms,
  handlerAlarms,
  ledgerAlarms,
  queueAlarms,
} from "./alarm-specs.ts";
import { alarmTopic } from "./alarm-topic.ts";
import type { AlarmDestination } from "./config-schema.ts";

export { handlerMetric, type WatchedPipeline } from "./alarm-specs.ts";

export interface PipelineAlarmsProps extends AlarmedPipeline {
  /** Who the alarms reach: an e-mail subscribed to the stack's topic, an existing topic, or no one. */
  readonly destination: AlarmDestination;
}

export class PipelineAlarms extends Construct {
  /** The stack's own topic, or the existing one `alarmDestination` names. */
  readonly topic: ITopic;
  readonly dlqNotEmpty: Alarm;
  readonly oldestMessageTooOld: Alarm;
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly systemicFailures: Alarm;
  readonly spotDrift: Alarm;
  readonly handedBackTooLong: Alarm;
  readonly dlqMessageTooOld: Alarm;
  readonly recursiveLoopDropped: Alarm;
  readonly ledgerThrottles: Alarm | undefined;
  readonly ledgerErrors: Alarm | undefined;
  /** Every alarm, in the template's order. */
  readonly all: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.topic = alarmTopic(this, props.namePrefix, props.destination);
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
    this.spotDrift = this.alarm(handler.drift);
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
    this.all.push(alarm);
    return alarm;
  }
}
