/** Reading what SQS tells about a record in a Lambda `SQSEvent`. */
import type { SQSRecord } from "aws-lambda";

export function receiveCount(record: SQSRecord): number {
  return Number(record.attributes.ApproximateReceiveCount) || 1;
}

/** When the message was first enqueued (epoch ms). A redrive or replay makes a new message, and a new time. */
export function sentAt(record: SQSRecord): number {
  return Number(record.attributes.SentTimestamp) || 0;
}

export function isFifoRecord(record: SQSRecord): boolean {
  return record.eventSourceARN.endsWith(".fifo");
}

export function queueUrlFromArn(arn: string, endpoint?: string): string {
  const [, , , region, account, name] = arn.split(":");
  const base = endpoint ?? `https://sqs.${region}.amazonaws.com`;
  return `${base}/${account}/${name}`;
}
