/**
 * `dlq export`: the selected messages, with their failure, as JSON Lines for an audit trail or a
 * ticket. Nothing is removed. The file holds message bodies (metadata values included, which can
 * be health information): it is a new file readable by its owner only (see {@link OwnerOnlyFile}).
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { type ReadTotals, withDlqReader } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";
import { OwnerOnlyFile } from "./owner-only-file.ts";

/** One line of the export. */
export interface ExportedMessage {
  messageId: string;
  publicId: string | null;
  body: string;
  reasonClass: string;
  reason: string | null;
  status: number | null;
  errorType: string | null;
  details: string[];
  attempts: number | null;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  source: string | null;
  replayCount: number;
  /** When the message was enqueued in the DLQ. */
  sentAt: string | null;
}

export interface ExportOptions {
  sqs: SQSClient;
  dlqUrl: string;
  filter: MessageFilter;
  out: string;
  /** @default 10_000 */
  max?: number;
  /** @default 30 */
  holdSeconds?: number;
  /** @default 1 */
  waitTimeSeconds?: number;
  /** Stops reading; what was read is exported and the summary says the read was interrupted. */
  signal?: AbortSignal;
}

export interface ExportSummary extends ReadTotals {
  dlqUrl: string;
  out: string;
  exported: number;
}

/**
 * Writes the selected messages to `out` (replacing it once complete) and leaves them in the DLQ.
 * @throws the SDK's error when the DLQ cannot be read; the file system's when `out` cannot be
 *   written. Either way what was at `out` stays as it was.
 */
export async function exportMessages(options: ExportOptions): Promise<ExportSummary> {
  const file = new OwnerOnlyFile(options.out);
  try {
    const summary = await withDlqReader(options.sqs, options.dlqUrl, options, async (reader) => {
      const now = Date.now();
      const selected = (await reader.next()).filter((message) => matchesFilter(message, options.filter, now));
      file.append(toLines(selected));
      return { dlqUrl: options.dlqUrl, out: options.out, exported: selected.length, ...reader.totals };
    });
    file.commit();
    return summary;
  } catch (error) {
    file.discard();
    throw error;
  }
}

/** The export line of one message. */
export function toExported(message: DlqMessage): ExportedMessage {
  const failure = message.failure;
  return {
    messageId: message.messageId,
    publicId: message.publicId ?? null,
    body: message.body,
    reasonClass: message.reasonClass,
    reason: failure?.reason ?? null,
    status: failure?.status ?? null,
    errorType: failure?.errorType ?? null,
    details: failure?.details ?? [],
    attempts: failure?.attempts ?? null,
    firstFailureAt: failure?.firstFailureAt.toISOString() ?? null,
    lastFailureAt: failure?.lastFailureAt.toISOString() ?? null,
    source: message.source ?? null,
    replayCount: message.replayCount,
    sentAt: message.sentAt?.toISOString() ?? null,
  };
}

/** The export's JSON Lines of the messages. */
export function toLines(messages: readonly DlqMessage[]): string[] {
  return messages.map((message) => JSON.stringify(toExported(message)));
}
