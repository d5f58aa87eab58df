/**
 * `dlq export`: the selected messages, with their failure, as JSON Lines for an audit trail or a
 * ticket. Nothing is removed. The file holds message bodies (metadata values included, which can
 * be health information): it is written readable by its owner only.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { readDlq, releaseMessages } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";

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
  /** @default 1 */
  waitTimeSeconds?: number;
}

export interface ExportSummary {
  dlqUrl: string;
  out: string;
  read: number;
  exported: number;
  approximateTotal: number;
  truncated: boolean;
}

/**
 * Writes the selected messages to `out` (replacing it) and leaves them in the DLQ.
 * @throws the SDK's error when the DLQ cannot be read; the file system's when `out` cannot be written
 */
export async function exportMessages(options: ExportOptions): Promise<ExportSummary> {
  const read = await readDlq(options.sqs, options.dlqUrl, {
    max: options.max,
    waitTimeSeconds: options.waitTimeSeconds,
  });
  try {
    const now = Date.now();
    const selected = read.messages.filter((message) => matchesFilter(message, options.filter, now));
    writeJsonLines(options.out, selected);
    return {
      dlqUrl: options.dlqUrl,
      out: options.out,
      read: read.messages.length,
      exported: selected.length,
      approximateTotal: read.approximateTotal,
      truncated: read.truncated,
    };
  } finally {
    await releaseMessages(options.sqs, options.dlqUrl, read.messages);
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

/**
 * Writes the messages as JSON Lines and syncs the file, so that a purge after it cannot outrun it.
 * @throws the file system's error
 */
export function writeJsonLines(path: string, messages: readonly DlqMessage[]): void {
  const fd = openSync(path, "w", 0o600);
  try {
    for (const message of messages) writeSync(fd, `${JSON.stringify(toExported(message))}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
