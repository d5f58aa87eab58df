/**
 * `dlq replay`: puts selected DLQ messages back on the source queue, body unchanged (its `issuedAt`
 * keeps its place in line; a valid body without one, which SQS's redrive moved here, is stamped with
 * its original enqueue time), failure attributes cleared, `replay-count` one higher. Each message is
 * sent before it is deleted from the DLQ: a crash in between leaves it in both queues (a duplicate
 * the ledger makes harmless), never in neither. The pace is bounded: message i is not sent before
 * start + i / rate.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import pLimit from "p-limit";
import type { AppliedVersionReader } from "../ledger/table.ts";
import { chunkForBatch, messageBytes } from "../sqs/batches.ts";
import { type DlqMessage, replayAttributes } from "./dlq-message.ts";
import { deleteMessages, readDlq, releaseMessages } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter, selectsInvalidExplicitly } from "./filters.ts";
import { ordersToLookUp, planReplay, SkipReason } from "./replay-plan.ts";

export const DEFAULT_REPLAY_RATE = 50;

export interface ReplayOptions {
  sqs: SQSClient;
  dlqUrl: string;
  sourceQueueUrl: string;
  filter: MessageFilter;
  /** Replay even what the ledger or a newer DLQ message supersedes. @default false */
  includeSuperseded?: boolean;
  /** Where applied versions come from; without one, only newer DLQ messages supersede. */
  ledger?: AppliedVersionReader;
  /** Messages per second. @default 50 */
  ratePerSecond?: number;
  /** Replay at most this many. */
  limit?: number;
  /** Read at most this many DLQ messages. @default 10_000 */
  max?: number;
  /** Decide and report, move nothing. @default false */
  dryRun?: boolean;
  onProgress?: (progress: { replayed: number; total: number }) => void;
  /** Stops between batches; what was not sent stays in the DLQ. */
  signal?: AbortSignal;
  /** Long poll of the DLQ reads. @default 1 */
  waitTimeSeconds?: number;
  /** For tests: runs after a batch is sent and before it is deleted from the DLQ; a throw fails the delete. */
  beforeDelete?: (messages: readonly DlqMessage[]) => void | Promise<void>;
}

export interface MessageRef {
  messageId: string;
  publicId: string | undefined;
}

export interface ReplaySummary {
  dlqUrl: string;
  sourceQueueUrl: string;
  dryRun: boolean;
  approximateTotal: number;
  read: number;
  /** Read messages the filter selected. */
  matched: number;
  /** Sent to the source queue and deleted from the DLQ (in a dry run: would be). */
  replayed: MessageRef[];
  skipped: Record<SkipReason, MessageRef[]>;
  /** Selected but past --limit, or not reached before a stop: still in the DLQ. */
  notReached: number;
  /** SQS refused the send: still in the DLQ only. */
  notSent: Array<MessageRef & { code: string }>;
  /** Sent but not deleted from the DLQ: now in both queues (a duplicate, not a loss). */
  sentNotDeleted: MessageRef[];
  interrupted: boolean;
  durationMs: number;
}

/**
 * Replays the selected messages.
 * @throws the SDK's error when the DLQ cannot be read, or the ledger's when a lookup fails (nothing
 *   was sent then; the read messages are released first)
 */
export async function replayMessages(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const rate = options.ratePerSecond ?? DEFAULT_REPLAY_RATE;
  const { sqs, dlqUrl } = options;
  // Hold long enough for the whole run at this pace, so nothing reappears mid-run.
  const holdSeconds = Math.min(43_200, 120 + Math.ceil((options.max ?? 10_000) / rate));
  const read = await readDlq(sqs, dlqUrl, {
    max: options.max,
    holdSeconds,
    waitTimeSeconds: options.waitTimeSeconds,
  });
  const handled = new Set<string>();
  try {
    const now = Date.now();
    const selected = read.messages.filter((message) => matchesFilter(message, options.filter, now));
    const appliedVersions =
      options.ledger === undefined || options.includeSuperseded
        ? new Map<string, number>()
        : await lookUpAppliedVersions(options.ledger, ordersToLookUp(selected));
    const plan = planReplay(selected, {
      includeInvalid: selectsInvalidExplicitly(options.filter),
      includeSuperseded: options.includeSuperseded ?? false,
      appliedVersions,
      limit: options.limit,
    });
    const summary: ReplaySummary = {
      dlqUrl,
      sourceQueueUrl: options.sourceQueueUrl,
      dryRun: options.dryRun ?? false,
      approximateTotal: read.approximateTotal,
      read: read.messages.length,
      matched: selected.length,
      replayed: [],
      skipped: {
        [SkipReason.invalid]: [],
        [SkipReason.supersededByLedger]: [],
        [SkipReason.supersededInDlq]: [],
      },
      notReached: plan.overLimit.length,
      notSent: [],
      sentNotDeleted: [],
      interrupted: false,
      durationMs: 0,
    };
    for (const { message, reason } of plan.skipped) summary.skipped[reason].push(refOf(message));
    if (summary.dryRun) {
      summary.replayed = plan.replay.map(refOf);
    } else {
      await sendAndDelete(options, plan.replay, rate, summary, handled);
    }
    summary.durationMs = Math.round(performance.now() - started);
    return summary;
  } finally {
    await releaseMessages(
      sqs,
      dlqUrl,
      read.messages.filter((message) => !handled.has(message.messageId)),
    );
  }
}

async function sendAndDelete(
  options: ReplayOptions,
  messages: DlqMessage[],
  rate: number,
  summary: ReplaySummary,
  deleted: Set<string>,
): Promise<void> {
  const fifo = options.sourceQueueUrl.endsWith(".fifo");
  // Small batches at low rates, so the pace is smooth rather than bursts of ten.
  const batchSize = Math.max(1, Math.min(10, Math.floor(rate / 4)));
  const batches = chunkForBatch(messages, (m) => messageBytes(m.replayBody, replayAttributes(m))).flatMap(
    (chunk) => splitEvery(chunk, batchSize),
  );
  const startedAt = performance.now();
  let index = 0;
  for (const batch of batches) {
    if (options.signal?.aborted) {
      summary.interrupted = true;
      summary.notReached += messages.length - index;
      return;
    }
    // The batch's last message may not leave before its slot: n messages take ≥ (n - 1) / rate s.
    const lastSlotMs = ((index + batch.length - 1) / rate) * 1_000;
    const waitMs = startedAt + lastSlotMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    index += batch.length;

    const sent = await send(options, batch, fifo, summary);
    if (sent.length === 0) continue;
    let notDeleted: Set<string>;
    try {
      await options.beforeDelete?.(sent);
      notDeleted = await deleteMessages(options.sqs, options.dlqUrl, sent);
    } catch {
      notDeleted = new Set(sent.map((message) => message.messageId));
    }
    for (const message of sent) {
      if (notDeleted.has(message.messageId)) {
        summary.sentNotDeleted.push(refOf(message));
      } else {
        deleted.add(message.messageId);
        summary.replayed.push(refOf(message));
      }
    }
    options.onProgress?.({ replayed: summary.replayed.length, total: messages.length });
  }
}

/** Sends a batch to the source queue; returns the messages SQS took. */
async function send(
  options: ReplayOptions,
  batch: DlqMessage[],
  fifo: boolean,
  summary: ReplaySummary,
): Promise<DlqMessage[]> {
  try {
    const result = await options.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.sourceQueueUrl,
        Entries: batch.map((message, i) => toEntry(message, i, fifo)),
      }),
    );
    const failed = new Map((result.Failed ?? []).map((entry) => [Number(entry.Id), entry.Code ?? "unknown"]));
    for (const [i, code] of failed) {
      const message = batch[i];
      if (message !== undefined) summary.notSent.push({ ...refOf(message), code });
    }
    return batch.filter((_, i) => !failed.has(i));
  } catch (error) {
    const code = error instanceof Error ? error.name : "unknown";
    for (const message of batch) summary.notSent.push({ ...refOf(message), code });
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

async function lookUpAppliedVersions(
  ledger: AppliedVersionReader,
  publicIds: string[],
): Promise<Map<string, number>> {
  const limit = pLimit(8);
  const versions = new Map<string, number>();
  await Promise.all(
    publicIds.map((publicId) =>
      limit(async () => {
        const version = await ledger.appliedVersion(publicId);
        if (version !== undefined) versions.set(publicId, version);
      }),
    ),
  );
  return versions;
}

function refOf(message: DlqMessage): MessageRef {
  return { messageId: message.messageId, publicId: message.publicId };
}

function splitEvery<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
