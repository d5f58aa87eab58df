/**
 * The queue side of a batch's outcome: dead-letter what cannot be applied, requeue what was not
 * tried on its last receive, and set the visibility of what is handed back. Whatever of this fails
 * is reported back as a failed item, so the queue keeps the message: nothing is dropped.
 */

import {
  ChangeMessageVisibilityBatchCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { MAX_VISIBILITY_SECONDS } from "../backoff.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { inBatches, messageBytes } from "../sqs/batches.ts";
import { type Failure, failureAttributes, KEPT_ATTRIBUTES } from "../sqs/failure-attributes.ts";
import { HISTORY_ATTRIBUTE, type History, historyAttribute } from "./history.ts";
import { RECEIVE_SLACK_SECONDS } from "./waits.ts";

/** SQS's ceiling for a message's delay. */
const MAX_DELAY_SECONDS = 900;

export interface Settlement {
  deadLetters: Array<{ record: SQSRecord; body: string; failure: Failure }>;
  /** Handed back to the source queue: invisible for this long, then delivered again. */
  handBacks: Array<{ record: SQSRecord; visibilitySeconds: number }>;
  /** Handed back for a cause not their own: sent again as new messages, with a delay and their history. */
  requeues: Array<{ record: SQSRecord; body: string; delaySeconds: number; history: History }>;
}

export interface Queues {
  sqs: SQSClient;
  sourceQueueUrl: string;
  dlqUrl: string;
  fifo: boolean;
}

/** Does the queue side of a batch; returns the ids of the records the queue must keep. */
export async function settle(queues: Queues, settlement: Settlement, logger: Logger): Promise<Set<string>> {
  const keep = new Set<string>(settlement.handBacks.map(({ record }) => record.messageId));
  const [unsent, unqueued] = await Promise.all([
    send(
      queues,
      queues.dlqUrl,
      settlement.deadLetters.map(({ record, body, failure }) => ({
        record,
        body,
        attributes: { ...keptAttributes(record), ...failureAttributes(failure) },
      })),
      logger,
    ),
    send(
      queues,
      queues.sourceQueueUrl,
      settlement.requeues.map(({ record, body, delaySeconds, history }) => ({
        record,
        body,
        attributes: { ...keptAttributes(record), [HISTORY_ATTRIBUTE]: historyAttribute(history) },
        delaySeconds: Math.min(delaySeconds, MAX_DELAY_SECONDS),
      })),
      logger,
    ),
    changeVisibility(queues, settlement.handBacks, logger),
  ]);
  for (const id of [...unsent, ...unqueued]) keep.add(id);
  return keep;
}

interface Outgoing {
  record: SQSRecord;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  delaySeconds?: number;
}

/** Sends messages in batches; returns the ids of the records whose message did not get through. */
async function send(
  queues: Queues,
  queueUrl: string,
  messages: Outgoing[],
  logger: Logger,
): Promise<string[]> {
  const notTaken = await inBatches(
    messages,
    (chunk) =>
      queues.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => toEntry(queues.fifo, message, index)),
        }),
      ),
    { sizeOf: (m) => messageBytes(m.body, m.attributes) },
  );
  for (const { code, callError } of notTaken) {
    if (callError === undefined) logger.error({ queueUrl, code }, "send to queue failed for one entry");
  }
  const callErrors = new Set(
    notTaken.flatMap(({ callError }) => (callError === undefined ? [] : [callError])),
  );
  for (const error of callErrors) {
    logger.error(
      { queueUrl, error: describeError(error) },
      "send to queue failed; the messages stay in the source queue",
    );
  }
  return notTaken.map(({ item }) => item.record.messageId);
}

function toEntry(fifo: boolean, message: Outgoing, index: number): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: message.body,
    MessageAttributes: message.attributes,
  };
  if (fifo) {
    entry.MessageGroupId = message.record.attributes.MessageGroupId ?? "default";
    // The same record sent twice (a crash between send and delete) is dropped by SQS's dedup window.
    entry.MessageDeduplicationId = `${message.record.messageId}-${message.record.attributes.ApproximateReceiveCount}`;
  } else if (message.delaySeconds !== undefined && message.delaySeconds > 0) {
    entry.DelaySeconds = message.delaySeconds;
  }
  return entry;
}

async function changeVisibility(
  queues: Queues,
  handBacks: Settlement["handBacks"],
  logger: Logger,
): Promise<void> {
  const notChanged = await inBatches(handBacks, (chunk) =>
    queues.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queues.sourceQueueUrl,
        Entries: chunk.map(({ record, visibilitySeconds }, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
          // Within what SQS still allows; the own-failure backoff is cut to this already.
          VisibilityTimeout: Math.min(visibilitySeconds, MAX_VISIBILITY_SECONDS - RECEIVE_SLACK_SECONDS),
        })),
      }),
    ),
  );
  // Not a loss: the messages come back after the queue's visibility timeout instead.
  if (notChanged.length > 0) {
    const error = notChanged.find(({ callError }) => callError !== undefined)?.callError;
    logger.warn(
      { failed: notChanged.length, ...(error === undefined ? {} : { error: describeError(error) }) },
      "visibility not changed; those messages return after the queue's timeout",
    );
  }
}

/** The producer's attributes that travel with a message; others are dropped to stay within SQS's ten. */
function keptAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const name of KEPT_ATTRIBUTES) {
    const value = record.messageAttributes[name];
    if (value?.stringValue !== undefined)
      kept[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return kept;
}
