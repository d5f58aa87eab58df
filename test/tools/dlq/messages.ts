/** A factory of DLQ messages for the pure tests, built through the same reader the tool uses. */
import type { Message } from "@aws-sdk/client-sqs";
import { type Failure, failureAttributes } from "../../../lib/lambda/sqs/failure-attributes.ts";
import { type DlqMessage, toDlqMessage } from "../../../lib/tools/dlq/dlq-message.ts";

let next = 0;

/** The failure the handler records for an order Spot does not know (404), on its first receive, but its dates. */
export const NOT_FOUND_FAILURE: Omit<Failure, "firstFailureAt" | "lastFailureAt"> = {
  reasonClass: "permanent",
  reason: "Spot answered 404 not_found: Order not found",
  status: 404,
  errorType: "not_found",
  details: ["Order not found"],
  attempts: 1,
};

export function dlqMessage(options: {
  publicId?: string;
  issuedAt?: string;
  body?: string;
  failure?: Partial<Failure>;
  noFailure?: boolean;
  source?: string;
  replayCount?: number;
  sentAt?: number;
  metadata?: Record<string, string>;
}): DlqMessage {
  next += 1;
  const failure: Failure = {
    ...NOT_FOUND_FAILURE,
    firstFailureAt: new Date("2026-11-27T10:00:00.000Z"),
    lastFailureAt: new Date("2026-11-27T10:00:00.000Z"),
    ...options.failure,
  };
  const message: Message = {
    MessageId: `m${next}`,
    ReceiptHandle: `r${next}`,
    Body:
      options.body ??
      JSON.stringify({
        publicId: options.publicId ?? `O${next}`,
        metadata: options.metadata ?? { a: "1" },
        issuedAt: options.issuedAt,
      }),
    MessageAttributes: {
      ...(options.noFailure ? {} : failureAttributes(failure)),
      ...(options.source === undefined
        ? {}
        : { source: { DataType: "String", StringValue: options.source } }),
      ...(options.replayCount === undefined
        ? {}
        : { "replay-count": { DataType: "Number", StringValue: String(options.replayCount) } }),
    },
    Attributes: { SentTimestamp: String(options.sentAt ?? Date.parse("2026-11-27T10:00:01.000Z")) },
  };
  return toDlqMessage(message);
}
