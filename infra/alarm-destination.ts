/**
 * `alarmDestination`: who the alarms reach, as the stack's configuration says it (an e-mail address,
 * an SNS topic's ARN, or `none` on purpose).
 */
import * as z from "zod";

/** The `alarmDestination` that deploys with no one told, on purpose. */
export const NO_ALARM_DESTINATION = "none";

/** Who the alarms reach, as `alarmDestination` says. */
export type AlarmDestination =
  | { readonly kind: "email"; readonly address: string }
  | { readonly kind: "topic"; readonly topicArn: string }
  | { readonly kind: "none" };

/** A standard topic: CloudWatch alarms cannot publish to a FIFO one (`.fifo`). */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const EMAIL = z.email();

/** What an `alarmDestination` value means, or undefined when it is none of the three. */
export function alarmDestinationOf(value: string): AlarmDestination | undefined {
  if (value === NO_ALARM_DESTINATION) return { kind: "none" };
  if (SNS_TOPIC_ARN.test(value)) return { kind: "topic", topicArn: value };
  if (EMAIL.safeParse(value).success) return { kind: "email", address: value };
  return undefined;
}
