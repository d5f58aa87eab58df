/** A factory of Lambda SQS records, for the processor's pure parts. */
import type { SQSRecord } from "aws-lambda";

let sequence = 0;

export function sqsRecord(
  body: unknown,
  overrides: { receiveCount?: number; sentAt?: number; group?: string; fifo?: boolean } = {},
): SQSRecord {
  sequence += 1;
  const arn = `arn:aws:sqs:us-east-1:000000000000:spot-order-metadata${overrides.fifo ? ".fifo" : ""}`;
  return {
    messageId: `m-${sequence}`,
    receiptHandle: `r-${sequence}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      // Recent by default: a message enqueued long ago is one the handler has stopped handing back.
      SentTimestamp: String(overrides.sentAt ?? Date.now() - 1_000 + sequence),
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: String(1_795_000_000_000),
      ...(overrides.group === undefined ? {} : { MessageGroupId: overrides.group }),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: arn,
    awsRegion: "us-east-1",
  };
}
