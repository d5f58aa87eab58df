/**
 * Reading a DLQ through: every message (up to a bound) is received and held (see
 * {@link HeldMessages}) while the command works on it, so a second receive does not hand back the
 * same message; at the end, whatever was not deleted is made visible again.
 *
 * A read says when it is incomplete, and why ({@link Truncation}). A FIFO DLQ hands out a message
 * group's next message only once the one before it is deleted, so it is read in rounds: a command
 * that deletes asks for another round, which finds what the deletes unlocked.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { inBatches, messageBytes } from "../../lambda/sqs/batches.ts";
import { queueDepth } from "../../lambda/sqs/queue-depth.ts";
import { type DlqMessage, toDlqMessage } from "./dlq-message.ts";
import { DlqArgumentError } from "./errors.ts";
import { DEFAULT_HOLD_SECONDS, HeldMessages } from "./held-messages.ts";

/** The most messages one read takes: each is held, extended every beat, and kept in memory. */
export const MAX_READ = 20_000;
/** @default for `max` */
export const DEFAULT_MAX_READ = 10_000;
/**
 * Bytes of bodies and attributes one read keeps (SQS allows 1 MiB a message): about 0.5 GB of heap
 * at most, whatever the messages.
 */
export const READ_BUDGET_BYTES = 128 * 1024 * 1024;

/** Why a read stopped before the end of the queue. */
export const Truncation = {
  /** `max` messages read. */
  max: "max",
  /** The read's memory budget ({@link READ_BUDGET_BYTES}) is used up. */
  memory: "memory",
  /** Enough messages were replayed (replay's `--limit`). */
  limit: "limit",
  /** Stopped on request (Ctrl-C). */
  interrupted: "interrupted",
  /**
   * SQS counted more messages than it handed out: in a FIFO DLQ, messages waiting behind the first
   * of their group; in any DLQ, messages another reader holds (or SQS's count lagging).
   */
  unreachable: "unreachable",
} as const;
export type Truncation = (typeof Truncation)[keyof typeof Truncation];

export interface ReadOptions {
  /** Read at most this many messages (≤ {@link MAX_READ}). @default 10_000 */
  max?: number;
  /** How long a received message stays hidden unless the heartbeat extends it. @default 30 */
  holdSeconds?: number;
  /** Long poll of each receive; the last, empty one waits this long. @default 1 */
  waitTimeSeconds?: number;
  /** Stops reading (the read is then `interrupted`). */
  signal?: AbortSignal;
  /** For tests. @default READ_BUDGET_BYTES */
  budgetBytes?: number;
}

/** How complete a read was; part of every command's summary. */
export interface ReadTotals {
  /** ApproximateNumberOfMessages + NotVisible before reading: SQS's count, which may lag a little. */
  approximateTotal: number;
  /** Distinct messages read. */
  read: number;
  fifo: boolean;
  /** Messages may be left unread; `truncation` says why. */
  truncated: boolean;
  truncation: Truncation | undefined;
}

/** SQS's own count of a queue's messages: visible and in flight. */
async function approximateCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight } = await queueDepth(sqs, queueUrl);
  return visible + inFlight;
}

/**
 * Opens a read of the DLQ, runs `use` with it, and gives back whatever is still held on every way
 * out of `use`: the one place where a command's holds end.
 * @throws DlqArgumentError when `max` is past {@link MAX_READ}; the SDK's error when SQS refuses a call
 */
export async function withDlqReader<T>(
  sqs: SQSClient,
  dlqUrl: string,
  options: ReadOptions,
  use: (reader: DlqReader) => Promise<T>,
): Promise<T> {
  const max = options.max ?? DEFAULT_MAX_READ;
  if (!Number.isInteger(max) || max < 1 || max > MAX_READ) {
    throw new DlqArgumentError(`max ${max}: a read takes 1 to ${MAX_READ} messages`);
  }
  const reader = new DlqReader(sqs, dlqUrl, { ...options, max }, await approximateCount(sqs, dlqUrl));
  try {
    return await use(reader);
  } finally {
    await reader.release();
  }
}

export class DlqReader {
  readonly #sqs: SQSClient;
  readonly #dlqUrl: string;
  readonly #options: ReadOptions & { max: number };
  readonly #holds: HeldMessages;
  readonly #approximateTotal: number;
  readonly #seen = new Set<string>();
  #bytes = 0;
  #stopped: Truncation | undefined;
  #deletedSinceRound = 0;
  #rounds = 0;

  constructor(
    sqs: SQSClient,
    dlqUrl: string,
    options: ReadOptions & { max: number },
    approximateTotal: number,
  ) {
    this.#sqs = sqs;
    this.#dlqUrl = dlqUrl;
    this.#options = options;
    this.#approximateTotal = approximateTotal;
    this.#holds = new HeldMessages(sqs, dlqUrl, options.holdSeconds ?? DEFAULT_HOLD_SECONDS);
  }

  /**
   * One round: receives until SQS has nothing new to hand out or a bound is hit, holding what it
   * receives. A message received again after its hold lapsed is held anew and counted once.
   * @returns the messages first read in this round
   * @throws the SDK's error when SQS refuses a receive (what was read stays held until `release`)
   */
  async next(): Promise<DlqMessage[]> {
    const round: DlqMessage[] = [];
    this.#deletedSinceRound = 0;
    this.#rounds += 1;
    while (this.#stopped === undefined) {
      this.#stopped = this.#boundReached();
      if (this.#stopped !== undefined) break;
      // A later round looks for what the last deletes unlocked: once a receive brought some, short
      // polls take the rest, sparing each round a long poll's wait at its end (a second, on SQS).
      const received = await this.#receive(this.#rounds > 1 && round.length > 0 ? 0 : undefined);
      const fresh = received.filter((message) => !this.#seen.has(message.messageId));
      for (const message of received) this.#holds.hold(message);
      for (const message of fresh) this.#take(message);
      round.push(...fresh);
      // A receive that brings nothing new means the queue has nothing more to give now.
      if (fresh.length === 0) break;
    }
    return round;
  }

  /** Whether another round may find more: a FIFO DLQ some of whose groups the last deletes unlocked. */
  get mayHaveMore(): boolean {
    return this.#fifo && this.#deletedSinceRound > 0 && this.#stopped === undefined;
  }

  /** Reads no more rounds, for this reason. */
  stop(reason: Truncation): void {
    this.#stopped ??= reason;
  }

  /**
   * Deletes held messages from the DLQ, each by its newest receipt handle.
   * @returns the messageIds SQS did not delete (they stay in the DLQ, and held)
   */
  async delete(messages: readonly DlqMessage[]): Promise<Set<string>> {
    const notDeleted = new Set<string>();
    const latest = messages.map((message) => this.#holds.latest(message.messageId) ?? message);
    const failures = await inBatches(
      latest,
      (chunk) =>
        this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#dlqUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.receiptHandle,
            })),
          }),
        ),
      { concurrency: 1 },
    );
    for (const { item } of failures) notDeleted.add(item.messageId);
    const deleted = latest.map((message) => message.messageId).filter((id) => !notDeleted.has(id));
    this.#holds.forget(deleted);
    this.#deletedSinceRound += deleted.length;
    return notDeleted;
  }

  get totals(): ReadTotals {
    const truncation =
      this.#stopped ?? (this.#seen.size < this.#approximateTotal ? Truncation.unreachable : undefined);
    return {
      approximateTotal: this.#approximateTotal,
      read: this.#seen.size,
      fifo: this.#fifo,
      truncated: truncation !== undefined,
      truncation,
    };
  }

  /** Gives back what is still held. @returns how many could not be (they come back within a hold) */
  release(): Promise<number> {
    return this.#holds.release();
  }

  get #fifo(): boolean {
    return this.#dlqUrl.endsWith(".fifo");
  }

  #boundReached(): Truncation | undefined {
    const { max, signal, budgetBytes = READ_BUDGET_BYTES } = this.#options;
    if (signal?.aborted) return Truncation.interrupted;
    if (this.#seen.size >= max) return Truncation.max;
    if (this.#bytes >= budgetBytes) return Truncation.memory;
    return undefined;
  }

  #take(message: DlqMessage): void {
    this.#seen.add(message.messageId);
    this.#bytes += messageBytes(message.body, message.attributes);
  }

  async #receive(waitTimeSeconds = this.#options.waitTimeSeconds ?? 1): Promise<DlqMessage[]> {
    const { Messages = [] } = await this.#sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#dlqUrl,
        MaxNumberOfMessages: Math.min(10, this.#options.max - this.#seen.size),
        VisibilityTimeout: this.#holds.holdSeconds,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount", "MessageGroupId"],
      }),
    );
    return Messages.map(toDlqMessage);
  }
}
