/**
 * What a message carries across requeues, in its `history` attribute. A hand-back that is not the
 * message's own failure sends it again as a new message (see batch-processor.ts), which resets SQS's
 * receive count and enqueue time; the history keeps what they would have told: when the update was
 * first enqueued, how many of its attempts failed at Spot, and how often it was handed back.
 *
 * Only a history the handler attached to this very message is believed: it names when it was sent
 * (`requeuedAt`), which must match SQS's own `SentTimestamp`, and must hold together. A producer's
 * own, one copied onto another message, or a message moved by SQS's redrive (a new enqueue time)
 * starts afresh from what SQS tells, so no message is dead-lettered, or kept for ever, by what
 * somebody wrote in an attribute.
 */
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { z } from "zod";
import { receiveCount, sentAt } from "../sqs/records.ts";

export const HISTORY_ATTRIBUTE = "history";

/** How far SQS's `SentTimestamp` may be from the handler's clock when it sent the message. */
const SENT_TOLERANCE_MS = 60_000;

export interface History {
  /** When the update was first enqueued (epoch ms). */
  firstSentAt: number;
  /** Its calls that failed at Spot, before this receive. */
  ownFailures: number;
  /** Its hand-backs that were not its own failure. */
  handBacks: number;
}

const count = z.number().int().min(0).max(1_000_000);
const epochMs = z.number().int().min(0);
const carriedSchema = z
  .object({ firstSentAt: epochMs, ownFailures: count, handBacks: count, requeuedAt: epochMs })
  .strict()
  .refine((h) => h.firstSentAt <= h.requeuedAt);

/** The record's history: its attribute if the handler attached it to this message, else what SQS tells. */
export function historyOf(record: SQSRecord): History {
  const carried = believed(record);
  // Every earlier receive of this SQS message ended in its own failure (or a crash): the hand-backs
  // that were not were sent as new messages.
  const earlierReceives = receiveCount(record) - 1;
  return {
    firstSentAt: carried?.firstSentAt ?? sentAt(record),
    ownFailures: (carried?.ownFailures ?? 0) + earlierReceives,
    handBacks: carried?.handBacks ?? 0,
  };
}

/** The attribute for a message sent now (`requeuedAt`): SQS's SentTimestamp will vouch for it. */
export function historyAttribute(history: History, requeuedAt = Date.now()): MessageAttributeValue {
  return { DataType: "String", StringValue: JSON.stringify({ ...history, requeuedAt }) };
}

function believed(record: SQSRecord): History | undefined {
  const text = record.messageAttributes[HISTORY_ATTRIBUTE]?.stringValue;
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = carriedSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { requeuedAt, ...history } = parsed.data;
  return Math.abs(sentAt(record) - requeuedAt) <= SENT_TOLERANCE_MS ? history : undefined;
}
