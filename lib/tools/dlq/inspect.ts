/**
 * The read-only looks at a DLQ: `stats` (everything, grouped) and `peek` (the messages
 * themselves). Both hold what they read only while reading and make it visible again at the end.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { type ReadTotals, withDlqReader } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";
import { type DlqStats, summarize } from "./stats.ts";

export interface InspectOptions {
  sqs: SQSClient;
  dlqUrl: string;
  /** Read at most this many messages. @default 10_000 */
  max?: number;
  /** @default 30 */
  holdSeconds?: number;
  /** @default 1 */
  waitTimeSeconds?: number;
  /** Stops reading; the result covers what was read and says the read was interrupted. */
  signal?: AbortSignal;
}

/**
 * Reads the DLQ through and groups its messages.
 * @throws the SDK's error when the DLQ cannot be read
 */
export async function dlqStats(options: InspectOptions): Promise<DlqStats> {
  return withDlqReader(options.sqs, options.dlqUrl, options, async (reader) => {
    const messages = await reader.next();
    return summarize(messages, reader.totals);
  });
}

export interface PeekResult extends ReadTotals {
  messages: DlqMessage[];
  /** Every read message that matches the filter; `messages` are the first `limit` of them. */
  matched: number;
}

/**
 * The first `limit` messages that match the filter, oldest failure first, and how many match in
 * all: the whole DLQ is read (up to `max`), as `stats` reads it, so the count is not cut at `limit`.
 * @throws the SDK's error when the DLQ cannot be read
 */
export async function peekMessages(
  options: InspectOptions & { filter: MessageFilter; limit: number },
): Promise<PeekResult> {
  const now = Date.now();
  return withDlqReader(options.sqs, options.dlqUrl, options, async (reader) => {
    const matched = (await reader.next()).filter((message) => matchesFilter(message, options.filter, now));
    const byLastFailure = (message: DlqMessage) =>
      message.failure?.lastFailureAt.getTime() ?? message.sentAt?.getTime() ?? 0;
    matched.sort((a, b) => byLastFailure(a) - byLastFailure(b));
    return { messages: matched.slice(0, options.limit), matched: matched.length, ...reader.totals };
  });
}
