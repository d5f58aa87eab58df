/** Factories of Lambda SQS records and of Spot's outcomes, for the processor's pure parts. */
import type { SQSRecord } from "aws-lambda";
import { HISTORY_ATTRIBUTE, type History, historyAttribute } from "../../lib/lambda/processor/history.ts";
import type { AppliedOutcome, FailedOutcome } from "../../lib/lambda/spot/outcome.ts";

let sequence = 0;

/** When every record was first received, unless a test says otherwise. */
export const FIRST_RECEIVE_AT = 1_795_000_000_000;

export function sqsRecord(
  body: unknown,
  overrides: {
    receiveCount?: number;
    sentAt?: number;
    group?: string;
    fifo?: boolean;
    /** The `history` attribute the handler attached when it requeued this message. */
    history?: History;
    /** A `history` attribute as somebody else wrote it (a producer, a copy). */
    rawHistory?: string;
  } = {},
): SQSRecord {
  sequence += 1;
  const sentAt = overrides.sentAt ?? Date.now() - 1_000 + sequence;
  const history =
    overrides.rawHistory ??
    (overrides.history === undefined ? undefined : historyAttribute(overrides.history, sentAt).StringValue);
  const arn = `arn:aws:sqs:us-east-1:000000000000:spot-order-metadata${overrides.fifo ? ".fifo" : ""}`;
  return {
    messageId: `m-${sequence}`,
    receiptHandle: `r-${sequence}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      // Recent by default: a message enqueued long ago is one the handler has stopped handing back.
      SentTimestamp: String(sentAt),
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: String(FIRST_RECEIVE_AT),
      ...(overrides.group === undefined ? {} : { MessageGroupId: overrides.group }),
    },
    messageAttributes:
      history === undefined ? {} : { [HISTORY_ATTRIBUTE]: { dataType: "String", stringValue: history } },
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: arn,
    awsRegion: "us-east-1",
  };
}

/** A failed call to Spot: a 503 in Spot's envelope on its only attempt, unless overridden. */
export function failedOutcome(overrides: Partial<FailedOutcome> = {}): FailedOutcome {
  const reason = overrides.reason ?? "Spot answered 503 server_error: down";
  return {
    logReason: reason,
    kind: "transient",
    status: 503,
    errorType: "server_error",
    details: ["down"],
    reason: "Spot answered 503 server_error: down",
    mayHaveLanded: true,
    attempts: 1,
    latencyMs: 40,
    ...overrides,
  };
}

/** A 200 for the order, as sent, on the first attempt, unless overridden. */
export function appliedOutcome(overrides: Partial<AppliedOutcome> = {}): AppliedOutcome {
  return {
    kind: "applied",
    status: 200,
    drift: [],
    earlierAttemptMayLand: false,
    attempts: 1,
    latencyMs: 40,
    ...overrides,
  };
}
