/**
 * `dlq purge`: removes the selected messages from the DLQ, for good. Without `confirm` it only
 * says what it would remove; with `exportTo`, the messages are written (and synced) first, so a
 * purge never removes what the export did not record. A FIFO DLQ is read in rounds: each round's
 * deletes unlock the next messages of their groups.
 *
 * With `onlySuperseded`, it selects, among what the filter selects, only the messages a newer
 * applied update has overtaken (superseded.ts). The ledger is read before the round's deletes, and
 * never goes back to an older version, so a message found overtaken is still overtaken when removed.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DlqMessage } from "./dlq-message.ts";
import { type DlqReader, type ReadTotals, withDlqReader } from "./dlq-reader.ts";
import { toLines } from "./export.ts";
import { type MessageFilter, matchesFilter } from "./filters.ts";
import { OwnerOnlyFile } from "./owner-only-file.ts";
import { type AppliedVersionLookup, splitOvertaken } from "./superseded.ts";

export interface PurgeOptions {
  sqs: SQSClient;
  dlqUrl: string;
  filter: MessageFilter;
  /** Remove for real (`--yes`); otherwise report only. */
  confirm: boolean;
  /** Write the selected messages here (JSON Lines, owner-only) before removing them. */
  exportTo?: string;
  /** Select only the messages the ledger holds a newer version of (`--superseded`), read through this. */
  onlySuperseded?: AppliedVersionLookup;
  /** @default 10_000 */
  max?: number;
  /** @default 30 */
  holdSeconds?: number;
  /** @default 1 */
  waitTimeSeconds?: number;
  /** Stops reading and removing; what was not removed stays in the DLQ. */
  signal?: AbortSignal;
}

export interface PurgeSummary extends ReadTotals {
  dlqUrl: string;
  confirmed: boolean;
  /** Selected by the filter: removed when confirmed, else what would be removed. */
  selected: Array<{ messageId: string; publicId: string | undefined; reasonClass: string }>;
  removed: number;
  /** Selected, confirmed, but SQS did not delete them (or a stop came first): still in the DLQ. */
  notRemoved: number;
  exportedTo: string | undefined;
  interrupted: boolean;
  /** Only superseded messages were selected (`onlySuperseded`). */
  supersededOnly: boolean;
  /** Matched the filter, but no newer applied update overtakes them: left in the DLQ. */
  notSuperseded: number;
}

/**
 * Purges the selected messages (or says what it would).
 * @throws the SDK's error when the DLQ cannot be read, or the ledger's when a lookup fails; the
 *   file system's when the export cannot be written (nothing more is removed then). The export
 *   file, once anything was written to it, is put in place even then: it records everything removed.
 */
export async function purgeMessages(options: PurgeOptions): Promise<PurgeSummary> {
  const file = options.exportTo === undefined ? undefined : new OwnerOnlyFile(options.exportTo);
  try {
    const summary = await withDlqReader(options.sqs, options.dlqUrl, options, (reader) =>
      purgeRounds(options, reader, file),
    );
    file?.commit();
    return summary;
  } catch (error) {
    // What was written may already be removed from the DLQ: its record goes in place even now.
    if (file !== undefined && file.written > 0) file.commit();
    else file?.discard();
    throw error;
  }
}

async function purgeRounds(
  options: PurgeOptions,
  reader: DlqReader,
  file: OwnerOnlyFile | undefined,
): Promise<PurgeSummary> {
  const summary: Omit<PurgeSummary, keyof ReadTotals> = {
    dlqUrl: options.dlqUrl,
    confirmed: options.confirm,
    selected: [],
    removed: 0,
    notRemoved: 0,
    exportedTo: options.exportTo,
    interrupted: false,
    supersededOnly: options.onlySuperseded !== undefined,
    notSuperseded: 0,
  };
  do {
    const now = Date.now();
    let selected = (await reader.next()).filter((message) => matchesFilter(message, options.filter, now));
    if (options.onlySuperseded !== undefined) {
      const split = await splitOvertaken(options.onlySuperseded, selected);
      selected = split.overtaken;
      summary.notSuperseded += split.notOvertaken.length;
    }
    file?.append(toLines(selected));
    summary.selected.push(...selected.map(selectedEntry));
    if (!options.confirm) continue;
    if (options.signal?.aborted) {
      summary.interrupted = true;
      summary.notRemoved += selected.length;
      break;
    }
    const failed = await reader.delete(selected);
    summary.removed += selected.length - failed.size;
    summary.notRemoved += failed.size;
  } while (reader.mayHaveMore);
  return { ...summary, ...reader.totals };
}

function selectedEntry(message: DlqMessage): PurgeSummary["selected"][number] {
  return { messageId: message.messageId, publicId: message.publicId, reasonClass: message.reasonClass };
}
