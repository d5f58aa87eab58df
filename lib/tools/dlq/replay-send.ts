/**
 * The sending half of `dlq replay`: puts planned messages on the source queue at a bounded pace,
 * each before it is deleted from the DLQ (a crash in between leaves it in both queues, a duplicate
 * the ledger makes harmless, never in neither). The pace holds across the rounds of a FIFO DLQ:
 * message i is not sent before start + i / rate.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { chunkForBatch, messageBytes } from "../../lambda/sqs/batches.ts";
import { type DlqMessage, replayAttributes } from "./dlq-message.ts";

export interface MessageRef {
  messageId: string;
  publicId: string | undefined;
}

/** What sending did, message by message; a part of the replay's summary. */
export interface SendTally {
  /** Sent to the source queue and deleted from the DLQ. */
  replayed: MessageRef[];
  /** SQS refused the send: still in the DLQ only. */
  notSent: Array<MessageRef & { code: string }>;
  /** Sent but not deleted from the DLQ: now in both queues (a duplicate, not a loss). */
  sentNotDeleted: MessageRef[];
  /** Planned but not reached before a stop: still in the DLQ. */
  notReached: number;
  interrupted: boolean;
}

export interface SendTarget {
  sqs: SQSClient;
  sourceQueueUrl: string;
  /** Deletes sent messages from the DLQ; returns the messageIds it could not delete. */
  remove: (messages: readonly DlqMessage[]) => Promise<Set<string>>;
  signal?: AbortSignal;
  onProgress?: (progress: { replayed: number; total: number }) => void;
  /** For tests: runs after a batch is sent and before it is deleted; a throw fails the delete. */
  beforeDelete?: (messages: readonly DlqMessage[]) => void | Promise<void>;
}

/** Sends in batches at `rate` messages per second, counted from the first send of the first round. */
export class PacedSender {
  readonly #rate: number;
  #startedAt: number | undefined;
  #sent = 0;
  #planned = 0;

  constructor(rate: number) {
    this.#rate = rate;
  }

  /** Sends then deletes each message, stopping between batches when the signal is aborted. */
  async send(target: SendTarget, messages: DlqMessage[], tally: SendTally): Promise<void> {
    this.#planned += messages.length;
    const fifo = target.sourceQueueUrl.endsWith(".fifo");
    let left = messages.length;
    for (const batch of this.#batches(messages)) {
      if (target.signal?.aborted) {
        tally.interrupted = true;
        tally.notReached += left;
        return;
      }
      await this.#waitForSlot(batch.length);
      left -= batch.length;
      const sent = await sendBatch(target, batch, fifo, tally);
      if (sent.length > 0) await deleteSent(target, sent, tally);
      target.onProgress?.({ replayed: tally.replayed.length, total: this.#planned });
    }
  }

  /** Small batches at low rates, so the pace is smooth rather than bursts of ten. */
  #batches(messages: DlqMessage[]): DlqMessage[][] {
    const size = Math.max(1, Math.min(10, Math.floor(this.#rate / 4)));
    return chunkForBatch(messages, (m) => messageBytes(m.replayBody, replayAttributes(m))).flatMap(
      (chunk) => {
        const out: DlqMessage[][] = [];
        for (let i = 0; i < chunk.length; i += size) out.push(chunk.slice(i, i + size));
        return out;
      },
    );
  }

  /** The batch's last message may not leave before its slot: n messages take ≥ (n - 1) / rate s. */
  async #waitForSlot(count: number): Promise<void> {
    this.#startedAt ??= performance.now();
    const lastSlotMs = ((this.#sent + count - 1) / this.#rate) * 1_000;
    this.#sent += count;
    const waitMs = this.#startedAt + lastSlotMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

export function refOf(message: DlqMessage): MessageRef {
  return { messageId: message.messageId, publicId: message.publicId };
}

async function deleteSent(target: SendTarget, sent: DlqMessage[], tally: SendTally): Promise<void> {
  let notDeleted: Set<string>;
  try {
    await target.beforeDelete?.(sent);
    notDeleted = await target.remove(sent);
  } catch {
    notDeleted = new Set(sent.map((message) => message.messageId));
  }
  for (const message of sent) {
    (notDeleted.has(message.messageId) ? tally.sentNotDeleted : tally.replayed).push(refOf(message));
  }
}

/** Sends a batch to the source queue; returns the messages SQS took. */
async function sendBatch(
  target: SendTarget,
  batch: DlqMessage[],
  fifo: boolean,
  tally: SendTally,
): Promise<DlqMessage[]> {
  try {
    const result = await target.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: target.sourceQueueUrl,
        Entries: batch.map((message, i) => toEntry(message, i, fifo)),
      }),
    );
    const failed = new Map((result.Failed ?? []).map((entry) => [Number(entry.Id), entry.Code ?? "unknown"]));
    for (const [i, code] of failed) {
      const message = batch[i];
      if (message !== undefined) tally.notSent.push({ ...refOf(message), code });
    }
    return batch.filter((_, i) => !failed.has(i));
  } catch (error) {
    const code = error instanceof Error ? error.name : "unknown";
    for (const message of batch) tally.notSent.push({ ...refOf(message), code });
    return [];
  }
}

function toEntry(message: DlqMessage, index: number, fifo: boolean): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = {
    Id: String(index),
    MessageBody: message.replayBody,
    MessageAttributes: replayAttributes(message),
  };
  if (fifo) {
    // One group per order keeps its updates in sequence; the dedup id lets SQS drop a second
    // send of the same replay (a retried run after a crash between send and delete).
    entry.MessageGroupId = message.publicId ?? message.messageGroupId ?? message.messageId;
    entry.MessageDeduplicationId = `${message.messageId}-r${message.replayCount + 1}`;
  }
  return entry;
}
