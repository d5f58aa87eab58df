/**
 * What Lambda's SQS event source mapping does, on this machine: long-poll the queue, gather a batch
 * within a window, build a real `SQSEvent`, invoke the handler with a context whose deadline follows
 * the function's timeout, delete the records that succeeded and leave the rest to the queue. It
 * polls any queue: the local stack's (tests, `spot-meta dev`), or a real one (`spot-meta worker`).
 */

import { randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { TimedOutError } from "../lambda/errors.ts";
import type { UpdateHandler } from "../lambda/update-handler.ts";

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: UpdateHandler;
  /** @default 10 */
  batchSize?: number;
  /** How long to gather a batch after its first record. @default 200 */
  batchingWindowMs?: number;
  /** Concurrent pollers, each invoking the handler in turn (like concurrent Lambda instances). @default 1 */
  pollers?: number;
  /** The function's timeout: the context's deadline, after which the invocation counts as failed. @default 30000 */
  functionTimeoutMs?: number;
  /** Long-poll wait when the queue is empty. @default 1 */
  waitTimeSeconds?: number;
  /**
   * Cut the long polls short on `stop()`: only for queues that stop with this process (the local
   * stack's), since a poll cut short may still take messages with it. @default false
   */
  abortPollsOnStop?: boolean;
  /** Told when a receive or delete fails; the poller carries on. */
  onPollError?: (error: unknown) => void;
  /** Told after each invocation (for reports and tests). */
  onInvocation?: (invocation: PolledInvocation) => void;
}

export interface PolledInvocation {
  records: SQSRecord[];
  /** Ids the handler reported failed; all of them when it threw or timed out. */
  failed: string[];
  error?: unknown;
  durationMs: number;
}

/**
 * The pauses between a window's short polls: soon again after one that brought messages (more tend
 * to follow), twice as long after each that brought none. A 1-s window costs ~6 receives when
 * nothing more comes, not 50 (SQS bills each), and a 5-minute window one a second.
 */
const FIRST_PAUSE_MS = 20;
const LONGEST_PAUSE_MS = 1_000;

export class QueuePoller {
  readonly #options: Required<Omit<PollerOptions, "onInvocation" | "onPollError">> &
    Pick<PollerOptions, "onInvocation" | "onPollError">;
  readonly #abort = new AbortController();
  #pollers: Promise<void>[] = [];
  readonly #deletes = new Set<Promise<void>>();
  invocations = 0;

  constructor(options: PollerOptions) {
    this.#options = {
      batchSize: 10,
      batchingWindowMs: 200,
      pollers: 1,
      functionTimeoutMs: 30_000,
      waitTimeSeconds: 1,
      abortPollsOnStop: false,
      ...options,
    };
  }

  start(): this {
    this.#pollers = Array.from({ length: this.#options.pollers }, () => this.#poll());
    return this;
  }

  /**
   * Stops polling and waits for the invocations (and their deletes) in flight to finish, and for the
   * long polls (up to `waitTimeSeconds`), whose messages go straight back to the queue.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#pollers);
    await Promise.all(this.#deletes);
  }

  async #poll(): Promise<void> {
    let next = this.#gatherSafely();
    for (;;) {
      const messages = await next;
      // Stopping: what was gathered goes back to the queue now, not after its visibility timeout.
      if (this.#abort.signal.aborted) return this.#release(messages);
      // Poll ahead while the function runs, as the event source mapping does: the next batch is
      // waiting when this invocation ends, instead of a receive round trip later.
      next = this.#gatherSafely();
      if (messages.length > 0) await this.#invoke(messages.map((m) => this.#toRecord(m)));
    }
  }

  /** A batch, or none after a failed receive: like the real event source, the poller carries on. */
  async #gatherSafely(): Promise<Message[]> {
    try {
      return await this.#gather();
    } catch (error) {
      this.#options.onPollError?.(error);
      await sleep(200);
      return [];
    }
  }

  /** One batch: waits for a first message, then gathers more until full or the window closes. */
  async #gather(): Promise<Message[]> {
    const { batchSize, batchingWindowMs, waitTimeSeconds } = this.#options;
    const batch = await this.#receive(batchSize, waitTimeSeconds);
    const closesAt = Date.now() + batchingWindowMs;
    let pause = FIRST_PAUSE_MS;
    while (
      batch.length > 0 &&
      batch.length < batchSize &&
      Date.now() < closesAt &&
      !this.#abort.signal.aborted
    ) {
      const more = await this.#receive(batchSize - batch.length, 0);
      batch.push(...more);
      if (more.length > 0) pause = FIRST_PAUSE_MS;
      else {
        await sleep(Math.min(pause, closesAt - Date.now()));
        pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
      }
    }
    return batch;
  }

  /**
   * Not cut short on stop unless `abortPollsOnStop`: a long poll the client gives up may still be
   * answered by the queue (fauxqs does it; SQS may too), with messages that then stay invisible for
   * their visibility timeout behind a poller that is gone. Stopping waits for the poll instead, and
   * hands back what it brings.
   */
  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const abortSignal = this.#options.abortPollsOnStop ? this.#abort.signal : undefined;
    try {
      const result = await this.#options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#options.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal },
      );
      return result.Messages ?? [];
    } catch (error) {
      if (this.#abort.signal.aborted) return [];
      throw error;
    }
  }

  async #invoke(records: SQSRecord[]): Promise<void> {
    const started = Date.now();
    const deadline = started + this.#options.functionTimeoutMs;
    const context = {
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      awsRequestId: randomUUID(),
    };
    const event: SQSEvent = { Records: records };
    this.invocations += 1;
    let failed: string[];
    let error: unknown;
    try {
      const response = await withTimeout(
        this.#options.handler(event, context),
        this.#options.functionTimeoutMs,
      );
      failed = response.batchItemFailures.map((item) => item.itemIdentifier);
    } catch (caught) {
      // Like Lambda: a failed invocation deletes nothing; the records return after their visibility timeout.
      error = caught;
      failed = records.map((record) => record.messageId);
    }
    const succeeded = records.filter((record) => !failed.includes(record.messageId));
    const durationMs = Date.now() - started;
    // The delete does not hold up the next invocation; stop() waits for it.
    const deletion = this.#delete(succeeded)
      .then(() => this.#options.onInvocation?.({ records, failed, error, durationMs }))
      .catch((deleteError: unknown) => this.#options.onPollError?.(deleteError))
      .finally(() => this.#deletes.delete(deletion));
    this.#deletes.add(deletion);
  }

  async #release(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.#options.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? "",
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch((error: unknown) => this.#options.onPollError?.(error));
  }

  async #delete(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.#options.queueUrl,
        Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }

  #toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? "local",
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(attributes.MessageGroupId === undefined ? {} : { MessageGroupId: attributes.MessageGroupId }),
        ...(attributes.SequenceNumber === undefined ? {} : { SequenceNumber: attributes.SequenceNumber }),
        ...(attributes.MessageDeduplicationId === undefined
          ? {}
          : { MessageDeduplicationId: attributes.MessageDeduplicationId }),
      },
      messageAttributes: toRecordAttributes(message.MessageAttributes),
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: this.#options.queueArn,
      awsRegion: this.#options.region,
    };
  }
}

/** The SDK's attribute shape (`StringValue`) to Lambda's (`stringValue`). */
function toRecordAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      dataType: value.DataType ?? "String",
      stringListValues: [],
      binaryListValues: [],
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }),
    };
  }
  return out;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOutError(`Task timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
