/**
 * The alarm topic's part of `spot-meta smoke`: whether anyone would hear an alarm, read from the
 * topic's attributes (confirmed and pending subscriptions). A topic not named is not checked.
 */
import { GetTopicAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { describeFailure } from "../shared/aws-failures.ts";
import { failed, notChecked, ok, type Part } from "./smoke-parts.ts";

/** `arn:aws:sns:<region>:<account>:<name>` → its region. */
function regionOfTopic(arn: string): string | undefined {
  return arn.split(":")[3] || undefined;
}

export async function alarmTopicPart(
  topicArn: string | undefined,
  region: string | undefined,
): Promise<Part> {
  if (topicArn === undefined)
    return notChecked("alarm topic", "no topic named (--alarm-topic-arn, or --outputs with AlarmTopicArn)");
  const topicRegion = regionOfTopic(topicArn) ?? region;
  const sns = new SNSClient(topicRegion === undefined ? {} : { region: topicRegion });
  try {
    const { Attributes = {} } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    const confirmed = Number(Attributes.SubscriptionsConfirmed ?? 0);
    const pending = Number(Attributes.SubscriptionsPending ?? 0);
    if (confirmed > 0) return ok("alarm topic", `${topicArn}: ${confirmed} confirmed subscription(s)`);
    return failed(
      "alarm topic",
      `${topicArn} reaches no one: no confirmed subscription (${pending} pending: follow the link in AWS's e-mail)`,
    );
  } catch (error) {
    const line = describeFailure(error) ?? (error instanceof Error ? error.name : String(error));
    return failed("alarm topic", `cannot read ${topicArn}: ${line}`);
  } finally {
    sns.destroy();
  }
}
