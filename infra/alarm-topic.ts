/**
 * Where the alarms go, as `alarmDestination` says: the stack's own topic (e-mailed when an address is
 * given, or with no one subscribed when it is `none`), or an existing topic instead.
 */
import { Stack } from "aws-cdk-lib";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import type { AlarmDestination } from "./config-schema.ts";

/** The topic every alarm and its recovery go to. */
export function alarmTopic(scope: Construct, namePrefix: string, destination: AlarmDestination): ITopic {
  // Its policy is the topic owner's: it must let this account's CloudWatch publish (docs/deploying.md).
  if (destination.kind === "topic") return Topic.fromTopicArn(scope, "Topic", destination.topicArn);
  const topic = new Topic(scope, "Topic", { displayName: `${namePrefix} alarms`, enforceSSL: true });
  // enforceSSL gives the topic a resource policy, which replaces SNS's default one: say outright
  // that this account's CloudWatch alarms may publish.
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: "AllowThisAccountsAlarms",
      principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: { StringEquals: { "aws:SourceAccount": Stack.of(scope).account } },
    }),
  );
  if (destination.kind === "email") topic.addSubscription(new EmailSubscription(destination.address));
  return topic;
}
