/**
 * The typed producer: how TypeScript services (and the CSV importer) put updates on the queue.
 * Every input is checked against the message contract, stamped with `issuedAt` when it has none
 * (strictly increasing per order, so two updates sent back to back never tie), packed into
 * `SendMessageBatch` calls (10 entries and 256 KiB per call), sent with a bounded number of calls in
 * flight, and retried where SQS says the failure was not the sender's. Each input gets exactly one
 * result: nothing is dropped without a reason. On a FIFO queue each order's updates arrive in the
 * order they were given, retries included.
 */
import { createHash } from "node:crypto";
import type { MessageAttributeValue, SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import { serializeUpdate, type UpdateMessage, validateUpdate } from "../lambda/contract.ts";
import { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, messageBytes } from "../lambda/sqs/batches.ts";
import { type BatchSettings, sendBatch } from "./send-batch.ts";

/** What a producer hands in: the contract's message, `issuedAt` filled in when missing. */
export type UpdateInput = UpdateMessage;

/**
 * Why an input was not queued: `invalid`, it breaks the message contract (never sent); `refused`,
 * SQS refused the entry for its own content; `unavailable`, the call or the queue failed (an
 * expired token, access denied, a deleted queue, retries used up), which says nothing of the input.
 */
type NotQueuedCause = "invalid" | "refused" | "unavailable";

export type EnqueueResult =
  | { ok: true; messageId: string; index: number }
  | { ok: false; reason: string; cause: NotQueuedCause; retryable: boolean; index: number };

/** One item of a stream: the update, an optional per-message source, and the caller's own reference. */
export interface OutgoingUpdate<Ref = undefined> {
  update: UpdateInput;
  /** Overrides the producer's `source` attribute for this message, e.g. `csv:orders.csv:42`. */
  source?: string;
  ref?: Ref;
  /**
   * The caller has already checked this very update with `validateUpdate` (the CSV importer does, to
   * give each bad row its reason by line), so the producer does not check it a second time.
   * @default false
   */
  validated?: boolean;
  /**
   * Seconds SQS holds the message before delivering it (standard queues only; a FIFO queue refuses
   * a per-message delay). `spot-meta verify --fix` uses it so its ledger write lands first.
   */
  delaySeconds?: number;
}

export interface ProducerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Who sends, e.g. `svc:billing`; becomes the `source` message attribute. */
  source: string;
  /**
   * Standard queues: this producer's message group, so that SQS fair queues treat it as one tenant
   * (a big import does not hold back what others send meanwhile). FIFO queues: ignored, the group is
   * the order's publicId so updates for one order stay in order.
   * @default source
   */
  messageGroupId?: string;
  /** `SendMessageBatch` calls in flight at once. @default 16 */
  concurrency?: number;
  /** Attempts for an entry that failed through no fault of the sender (and for failed calls). @default 5 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, full jitter. @default 100 */
  retryBaseDelayMs?: number;
  /** Longest retry delay. @default 5000 */
  retryMaxDelayMs?: number;
  /**
   * Bytes (bodies + attributes) per `SendMessageBatch` call. With the contract's metadata limit, ten
   * entries stay well below SQS's limit; the check keeps it so if either limit changes.
   * @default 262144 (SQS's limit)
   */
  maxBatchBytes?: number;
  /** The clock for `issuedAt`; stamps still increase strictly when it stands still or steps back. */
  now?: () => Date;
}

interface PendingEntry<Ref> {
  index: number;
  ref: Ref | undefined;
  entry: SendMessageBatchRequestEntry;
  bytes: number;
}

/** Orders whose last stamp a producer keeps before it forgets those in the past. */
const STAMPS_KEPT = 10_000;

/** Sends updates to one queue. Long-lived: create it once per process and reuse it. */
export class Producer {
  readonly #batch: BatchSettings;
  readonly #source: string;
  readonly #groupId: string;
  readonly #fifo: boolean;
  readonly #concurrency: number;
  readonly #maxBatchBytes: number;
  readonly #now: () => Date;
  /** The last `issuedAt` this producer stamped per order (epoch ms), while it is not in the past. */
  readonly #lastStampMs = new Map<string, number>();

  constructor(options: ProducerOptions) {
    this.#batch = {
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
    };
    this.#source = options.source;
    this.#groupId = options.messageGroupId ?? options.source;
    this.#fifo = options.queueUrl.endsWith(".fifo");
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#maxBatchBytes = Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES);
    this.#now = options.now ?? (() => new Date());
  }

  /** Enqueues one update. Never throws for a bad input or a failed send: the result says why. */
  async enqueue(update: UpdateInput, options: { source?: string } = {}): Promise<EnqueueResult> {
    const [result] = await this.enqueueMany([update], options);
    // enqueueMany returns one result per input.
    return result as EnqueueResult;
  }

  /** Enqueues many updates; one result per input, in input order. */
  async enqueueMany(
    updates: Iterable<UpdateInput> | AsyncIterable<UpdateInput>,
    options: { source?: string } = {},
  ): Promise<EnqueueResult[]> {
    const results: EnqueueResult[] = [];
    const source = options.source;
    async function* items(): AsyncGenerator<OutgoingUpdate> {
      for await (const update of updates) yield source === undefined ? { update } : { update, source };
    }
    await this.send(items(), (result) => {
      results[result.index] = result;
    });
    return results;
  }

  /**
   * Streams updates to the queue with flat memory: reads the next item only when a call slot is
   * free, and reports each item's result (with its `ref`) as soon as it is known, in completion
   * order. Resolves when every item read has its result.
   * @throws only what the iterable itself throws
   */
  async send<Ref>(
    items: Iterable<OutgoingUpdate<Ref>> | AsyncIterable<OutgoingUpdate<Ref>>,
    onResult: (result: EnqueueResult, ref: Ref | undefined) => void,
  ): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    // FIFO: the call holding each message group's latest entry. A group has one entry in flight at
    // a time, so an entry that fails holds back the later ones of its group until its retries end,
    // and the group reaches the queue in the order it was given.
    const groupCalls = new Map<string, Promise<void>>();
    let batch: PendingEntry<Ref>[] = [];
    let batchGroups = new Set<string>();
    let batchBytes = 0;
    let index = 0;
    const dispatch = async () => {
      const entries = batch;
      const groups = batchGroups;
      batch = [];
      batchGroups = new Set();
      batchBytes = 0;
      while (inFlight.size >= this.#concurrency) await Promise.race(inFlight);
      const call = sendBatch(entries, this.#batch, (outcome, pending) =>
        onResult({ ...outcome, index: pending.index }, pending.ref),
      ).finally(() => {
        inFlight.delete(call);
        for (const group of groups) if (groupCalls.get(group) === call) groupCalls.delete(group);
      });
      inFlight.add(call);
      for (const group of groups) groupCalls.set(group, call);
    };
    try {
      for await (const item of items) {
        const pending = this.#prepare(item, index++);
        if (!pending.ok) {
          onResult(pending.result, item.ref);
          continue;
        }
        if (batch.length > 0 && batchBytes + pending.entry.bytes > this.#maxBatchBytes) await dispatch();
        if (this.#fifo) {
          const group = pending.entry.entry.MessageGroupId as string;
          if (batchGroups.has(group)) await dispatch();
          await groupCalls.get(group);
          batchGroups.add(group);
        }
        batch.push(pending.entry);
        batchBytes += pending.entry.bytes;
        if (batch.length === MAX_BATCH_ENTRIES) await dispatch();
      }
      if (batch.length > 0) await dispatch();
    } finally {
      // Even when the iterable throws, what was already handed to SQS gets its result.
      await Promise.all(inFlight);
    }
  }

  #prepare<Ref>(
    item: OutgoingUpdate<Ref>,
    index: number,
  ): { ok: true; entry: PendingEntry<Ref> } | { ok: false; result: EnqueueResult } {
    let checked = item.update;
    if (item.validated !== true) {
      const parsed = validateUpdate(item.update);
      if (!parsed.ok)
        return {
          ok: false,
          result: { ok: false, reason: parsed.reason, cause: "invalid", retryable: false, index },
        };
      checked = parsed.message;
    }
    const message: UpdateMessage = {
      ...checked,
      issuedAt: checked.issuedAt ?? this.#stamp(checked.publicId),
    };
    const body = serializeUpdate(message);
    const source = item.source ?? this.#source;
    const attributes: Record<string, MessageAttributeValue> = {
      source: { DataType: "String", StringValue: source },
    };
    const entry: SendMessageBatchRequestEntry = {
      Id: String(index),
      MessageBody: body,
      MessageAttributes: attributes,
      MessageGroupId: this.#fifo ? message.publicId : this.#groupId,
    };
    if (this.#fifo) entry.MessageDeduplicationId = deduplicationId(message);
    if (item.delaySeconds !== undefined) entry.DelaySeconds = item.delaySeconds;
    const bytes = messageBytes(body, attributes);
    return { ok: true, entry: { index, ref: item.ref, entry, bytes } };
  }

  /**
   * A fresh `issuedAt`, strictly later than the last one this producer stamped for the order.
   * Back-to-back updates for one order often fall in the same millisecond, and of two updates that
   * tie, which one the pipeline keeps does not depend on which was sent last. So a clock that stands
   * still or steps back gets last + 1 ms. Per order, not per producer: a producer sending thousands
   * of updates a second would otherwise date them ever further in the future.
   */
  #stamp(publicId: string): string {
    const nowMs = this.#now().getTime();
    const last = this.#lastStampMs.get(publicId) ?? Number.NEGATIVE_INFINITY;
    const stamp = nowMs > last ? nowMs : last + 1;
    if (this.#lastStampMs.size >= STAMPS_KEPT) {
      // A stamp in the past can no longer tie with a fresh one.
      for (const [id, at] of this.#lastStampMs) if (at < nowMs) this.#lastStampMs.delete(id);
    }
    this.#lastStampMs.set(publicId, stamp);
    return new Date(stamp).toISOString();
  }
}

/**
 * FIFO deduplication id: the same update sent twice (a retried call whose first answer was lost)
 * is stored once. Metadata is part of it, so two different updates with one `issuedAt` are not.
 */
export function deduplicationId(message: UpdateMessage): string {
  return createHash("sha256")
    .update(message.publicId)
    .update("\0")
    .update(message.issuedAt ?? "")
    .update("\0")
    .update(JSON.stringify(message.metadata))
    .digest("hex");
}
