/**
 * The read-only looks at a DLQ: `stats` (everything, grouped) and `peek` (the messages
 * themselves). Both hold what they read only while reading and make it visible again at the end.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { readDlq, releaseMessages } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";
import { type DlqStats, summarize } from "./stats.ts";

export interface InspectOptions {
  sqs: SQSClient;
  dlqUrl: string;
  /** Read at most this many messages. @default 10_000 */
  max?: number;
  /** @default 1 */
  waitTimeSeconds?: number;
}

/**
 * Reads the DLQ through and groups its messages.
 * @throws the SDK's error when the DLQ cannot be read
 */
export async function dlqStats(options: InspectOptions): Promise<DlqStats> {
  const read = await readDlq(options.sqs, options.dlqUrl, {
    max: options.max,
    holdSeconds: 60,
    waitTimeSeconds: options.waitTimeSeconds,
  });
  try {
    return summarize(read.messages, read);
  } finally {
    await releaseMessages(options.sqs, options.dlqUrl, read.messages);
  }
}

export interface PeekResult {
  messages: DlqMessage[];
  /** Matching messages read (at least `messages.length`; reading stops once `limit` match). */
  matched: number;
  read: number;
  truncated: boolean;
  approximateTotal: number;
}

/**
 * The first `limit` messages that match the filter, oldest failure first.
 * @throws the SDK's error when the DLQ cannot be read
 */
export async function peekMessages(
  options: InspectOptions & { filter: MessageFilter; limit: number },
): Promise<PeekResult> {
  const now = Date.now();
  const select = (message: DlqMessage) => matchesFilter(message, options.filter, now);
  const read = await readDlq(options.sqs, options.dlqUrl, {
    max: options.max,
    holdSeconds: 60,
    waitTimeSeconds: options.waitTimeSeconds,
    stopAfter: { count: options.limit, select },
  });
  try {
    const matched = read.messages.filter(select);
    const byLastFailure = (message: DlqMessage) =>
      message.failure?.lastFailureAt.getTime() ?? message.sentAt?.getTime() ?? 0;
    matched.sort((a, b) => byLastFailure(a) - byLastFailure(b));
    return {
      messages: matched.slice(0, options.limit),
      matched: matched.length,
      read: read.messages.length,
      truncated: read.truncated,
      approximateTotal: read.approximateTotal,
    };
  } finally {
    await releaseMessages(options.sqs, options.dlqUrl, read.messages);
  }
}
