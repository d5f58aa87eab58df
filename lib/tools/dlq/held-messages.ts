/**
 * The DLQ messages this process holds invisible while a command works on them, and the promise to
 * give them back. A hold is short and a heartbeat extends it while the command runs, instead of one
 * hold long enough for the whole run: a process that dies without releasing (SIGKILL, a lost
 * machine) hides its messages for one hold at most. Every other way out releases at once: the
 * command's own `finally`, and open-holds.ts's `releaseEveryHold` for a second Ctrl-C or a
 * crash.
 */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { inBatches } from "../../lambda/sqs/batches.ts";
import type { DlqMessage } from "./dlq-message.ts";
import { holdOpened, holdReleased } from "./open-holds.ts";

/** How long a received message stays hidden unless extended: the bound after a SIGKILL. */
export const DEFAULT_HOLD_SECONDS = 30;
/**
 * Visibility calls in flight at once: 20,000 held messages are 2,000 calls a beat, about 5 s at
 * SQS's ~20 ms a call, inside the 10 s between beats of the default hold.
 */
const CONCURRENT_CALLS = 8;

export class HeldMessages {
  readonly holdSeconds: number;
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  /** messageId → the message as last received (only its newest receipt handle works). */
  readonly #held = new Map<string, DlqMessage>();
  readonly #heartbeat: NodeJS.Timeout;
  #beating: Promise<unknown> | undefined;
  #released: Promise<number> | undefined;

  constructor(sqs: SQSClient, queueUrl: string, holdSeconds = DEFAULT_HOLD_SECONDS) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
    this.holdSeconds = holdSeconds;
    // A beat every third of the hold: one slow or missed beat still leaves a beat before it lapses.
    this.#heartbeat = setInterval(() => this.#beat(), (holdSeconds * 1_000) / 3);
    // The command's own work keeps the process alive; a pending beat must not.
    this.#heartbeat.unref();
    holdOpened(this);
  }

  /** Records a received message (again, after its hold lapsed: the newer receipt handle wins). */
  hold(message: DlqMessage): void {
    this.#held.set(message.messageId, message);
  }

  /** The message as last received, while it is held. */
  latest(messageId: string): DlqMessage | undefined {
    return this.#held.get(messageId);
  }

  /** Deleted from the queue: nothing to give back. */
  forget(messageIds: Iterable<string>): void {
    for (const id of messageIds) this.#held.delete(id);
  }

  /**
   * Stops the heartbeat and makes every held message visible again; idempotent. Failures are not
   * losses (the message comes back when its hold lapses), so they are counted, not thrown.
   * @returns how many could not be released
   */
  release(): Promise<number> {
    this.#released ??= this.#releaseOnce();
    return this.#released;
  }

  async #releaseOnce(): Promise<number> {
    clearInterval(this.#heartbeat);
    try {
      // A beat that lands after the release would hide the messages again for a whole hold.
      await this.#beating;
      const messages = [...this.#held.values()];
      this.#held.clear();
      return await changeVisibility(this.#sqs, this.#queueUrl, messages, 0);
    } finally {
      // Only now: an exit while this release is under way waits for it.
      holdReleased(this);
    }
  }

  #beat(): void {
    if (this.#beating !== undefined || this.#held.size === 0) return;
    this.#beating = changeVisibility(
      this.#sqs,
      this.#queueUrl,
      [...this.#held.values()],
      this.holdSeconds,
    ).finally(() => {
      this.#beating = undefined;
    });
  }
}

/**
 * Sets the visibility of messages, ten a call, a few calls at a time.
 * @returns how many SQS did not change (a failed call counts all of its messages)
 */
async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly DlqMessage[],
  seconds: number,
): Promise<number> {
  const notChanged = await inBatches(
    messages,
    (chunk) =>
      sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
      ),
    { concurrency: CONCURRENT_CALLS },
  );
  return notChanged.length;
}
