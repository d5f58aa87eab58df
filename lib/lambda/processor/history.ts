/**
 * What a message carries across requeues, in its `history` attribute. A hand-back that is not the
 * message's own failure sends it again as a new message (see batch-processor.ts), which resets SQS's
 * receive count and enqueue time; the history keeps what they would have told: when the update was
 * first enqueued, how many of its attempts failed at Spot, and how often it was handed back.
 */
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { receiveCount, sentAt } from "../sqs/records.ts";

export const HISTORY_ATTRIBUTE = "history";

export interface History {
  /** When the update was first enqueued (epoch ms). */
  firstSentAt: number;
  /** Its calls that failed at Spot, before this receive. */
  ownFailures: number;
  /** Its hand-backs that were not its own failure. */
  handBacks: number;
}

/** The record's history: its attribute, or for a message never requeued, what SQS tells. */
export function historyOf(record: SQSRecord): History {
  const carried = parse(record.messageAttributes[HISTORY_ATTRIBUTE]?.stringValue);
  // Every earlier receive of this SQS message ended in its own failure (or a crash): the hand-backs
  // that were not were sent as new messages.
  const earlierReceives = receiveCount(record) - 1;
  return {
    firstSentAt: carried?.firstSentAt || sentAt(record),
    ownFailures: (carried?.ownFailures ?? 0) + earlierReceives,
    handBacks: carried?.handBacks ?? 0,
  };
}

export function historyAttribute(history: History): MessageAttributeValue {
  return { DataType: "String", StringValue: JSON.stringify(history) };
}

function parse(text: string | undefined): History | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<History>;
    const count = (n: unknown) => (Number.isInteger(n) && (n as number) >= 0 ? (n as number) : 0);
    return {
      firstSentAt: Number.isFinite(value.firstSentAt) ? (value.firstSentAt as number) : 0,
      ownFailures: count(value.ownFailures),
      handBacks: count(value.handBacks),
    };
  } catch {
    return undefined; // a history we cannot read only loses counts; the message itself is fine
  }
}
