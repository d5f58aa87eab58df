/**
 * `dlq purge`: removes the selected messages from the DLQ, for good. Without `confirm` it only
 * says what it would remove; with `exportTo`, the messages are written (and synced) first, so a
 * purge never removes what the export did not record.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { deleteMessages, readDlq, releaseMessages } from "./dlq-reader.ts";
import { writeJsonLines } from "./export.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";

export interface PurgeOptions {
  sqs: SQSClient;
  dlqUrl: string;
  filter: MessageFilter;
  /** Remove for real (`--yes`); otherwise report only. */
  confirm: boolean;
  /** Write the selected messages here (JSON Lines) before removing them. */
  exportTo?: string;
  /** @default 10_000 */
  max?: number;
  /** @default 1 */
  waitTimeSeconds?: number;
}

export interface PurgeSummary {
  dlqUrl: string;
  confirmed: boolean;
  read: number;
  /** Selected by the filter: removed when confirmed, else what would be removed. */
  selected: Array<{ messageId: string; publicId: string | undefined; reasonClass: string }>;
  removed: number;
  /** Selected, confirmed, but SQS did not delete them: still in the DLQ. */
  notRemoved: number;
  exportedTo: string | undefined;
  truncated: boolean;
}

/**
 * Purges the selected messages (or says what it would).
 * @throws the SDK's error when the DLQ cannot be read; the file system's when the export cannot be
 *   written (nothing is removed then)
 */
export async function purgeMessages(options: PurgeOptions): Promise<PurgeSummary> {
  const read = await readDlq(options.sqs, options.dlqUrl, {
    max: options.max,
    waitTimeSeconds: options.waitTimeSeconds,
  });
  let removed = new Set<string>();
  let notRemoved = 0;
  try {
    const now = Date.now();
    const selected = read.messages.filter((message) => matchesFilter(message, options.filter, now));
    if (options.exportTo !== undefined) writeJsonLines(options.exportTo, selected);
    if (options.confirm) {
      const failed = await deleteMessages(options.sqs, options.dlqUrl, selected);
      removed = new Set(selected.map((m) => m.messageId).filter((id) => !failed.has(id)));
      notRemoved = failed.size;
    }
    return {
      dlqUrl: options.dlqUrl,
      confirmed: options.confirm,
      read: read.messages.length,
      selected: selected.map(describe),
      removed: removed.size,
      notRemoved,
      exportedTo: options.exportTo,
      truncated: read.truncated,
    };
  } finally {
    await releaseMessages(
      options.sqs,
      options.dlqUrl,
      read.messages.filter((message) => !removed.has(message.messageId)),
    );
  }
}

function describe(message: DlqMessage): PurgeSummary["selected"][number] {
  return { messageId: message.messageId, publicId: message.publicId, reasonClass: message.reasonClass };
}
