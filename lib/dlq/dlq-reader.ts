/**
 * Reading a DLQ through: every message (up to a bound) is received and held invisible while the
 * command works on it, so a second receive does not hand back the same message; at the end,
 * whatever was not deleted is made visible again (ChangeMessageVisibility 0), so nothing stays
 * hidden from the next look. A message the hold outlived is received again: it is counted once.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { chunkForBatch } from "../sqs/batches.ts";
import { type DlqMessage, toDlqMessage } from "./dlq-message.ts";

export interface ReadOptions {
  /** Read at most this many messages. @default 10_000 */
  max?: number;
  /** How long received messages stay invisible (they are released earlier, at the end). @default 120 */
  holdSeconds?: number;
  /** Long poll of each receive; the last, empty one waits this long. @default 1 */
  waitTimeSeconds?: number;
  /** Stop once this many read messages satisfy `select` (peek with a limit). */
  stopAfter?: { count: number; select: (message: DlqMessage) => boolean };
}

export interface DlqRead {
  messages: DlqMessage[];
  /** ApproximateNumberOfMessages (+ NotVisible) before reading: SQS's count, which may lag a little. */
  approximateTotal: number;
  /** Reading stopped at `max` or `stopAfter` with messages possibly left unread. */
  truncated: boolean;
}

/** SQS's own count of a queue's messages: visible and in flight. */
export async function approximateCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Receives the DLQ's messages until it has none left to give (or a bound is hit), holding them.
 * Call {@link releaseMessages} with what was not deleted when done.
 * @throws the SDK's error when SQS refuses a receive (e.g. no such queue, no permission)
 */
export async function readDlq(sqs: SQSClient, dlqUrl: string, options: ReadOptions = {}): Promise<DlqRead> {
  const { max = 10_000, holdSeconds = 120, waitTimeSeconds = 1, stopAfter } = options;
  const approximateTotal = await approximateCount(sqs, dlqUrl);
  const seen = new Map<string, DlqMessage>();
  let selected = 0;
  let stoppedEarly = false;
  while (seen.size < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: holdSeconds,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount", "MessageGroupId"],
      }),
    );
    let fresh = 0;
    for (const raw of Messages) {
      const message = toDlqMessage(raw);
      if (!seen.has(message.messageId)) {
        fresh += 1;
        if (stopAfter?.select(message)) selected += 1;
      }
      // Received again after its hold lapsed: only the newest receipt handle works.
      seen.set(message.messageId, message);
    }
    // A long poll that brings nothing new means the queue has nothing more to give.
    if (fresh === 0) break;
    if (stopAfter !== undefined && selected >= stopAfter.count) {
      stoppedEarly = true;
      break;
    }
  }
  return {
    messages: [...seen.values()],
    approximateTotal,
    truncated: stoppedEarly || seen.size >= max,
  };
}

/**
 * Makes held messages visible again at once. Failures are not losses (the message comes back when
 * its hold lapses), so they are counted, not thrown.
 * @returns how many could not be released
 */
export async function releaseMessages(
  sqs: SQSClient,
  dlqUrl: string,
  messages: readonly DlqMessage[],
): Promise<number> {
  let failed = 0;
  for (const chunk of chunkForBatch([...messages], () => 0)) {
    try {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      failed += result.Failed?.length ?? 0;
    } catch {
      failed += chunk.length;
    }
  }
  return failed;
}

/**
 * Deletes messages from the DLQ.
 * @returns the messageIds SQS did not delete (they stay in the DLQ)
 */
export async function deleteMessages(
  sqs: SQSClient,
  dlqUrl: string,
  messages: readonly DlqMessage[],
): Promise<Set<string>> {
  const notDeleted = new Set<string>();
  for (const chunk of chunkForBatch([...messages], () => 0)) {
    try {
      const result = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.receiptHandle,
          })),
        }),
      );
      for (const failed of result.Failed ?? []) {
        const message = chunk[Number(failed.Id)];
        if (message !== undefined) notDeleted.add(message.messageId);
      }
    } catch {
      for (const message of chunk) notDeleted.add(message.messageId);
    }
  }
  return notDeleted;
}
