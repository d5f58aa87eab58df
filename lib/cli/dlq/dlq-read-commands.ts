/**
 * The actions of `dlq stats`, `peek` and `export`, which leave every message where it is: each says
 * what it is about to do, calls the library, prints the result and returns the exit code.
 */

import type { Version } from "../../lambda/processor/version.ts";
import type { DlqMessage } from "../../tools/dlq/dlq-message.ts";
import { Truncation } from "../../tools/dlq/dlq-reader.ts";
import { exportMessages, toExported } from "../../tools/dlq/export.ts";
import { describeFilter } from "../../tools/dlq/filters.ts";
import { dlqStats, peekMessages } from "../../tools/dlq/inspect.ts";
import { queueNameOf } from "../../tools/dlq/queue-pair.ts";
import { appliedVersionsOf, isOvertaken } from "../../tools/dlq/superseded.ts";
import type { DlqTarget } from "../shared/dlq-target.ts";
import { appliedVersionLookupFor, type LedgerFlags, resolveLedger } from "../shared/ledger.ts";
import { formatExport, formatPeek, formatStats, type LedgerView } from "./dlq-format.ts";
import {
  type CommonFlags,
  DLQ_EXIT_CODES,
  type DlqIo,
  json,
  open,
  readExitCode,
  readSettings,
} from "./dlq-io.ts";
import { filterFrom } from "./dlq-options.ts";

export type PeekFlags = CommonFlags & LedgerFlags & { limit: number; showMetadata?: boolean };
export type ExportFlags = CommonFlags & { out: string };

export async function stats(io: DlqIo, flags: CommonFlags, signal: AbortSignal): Promise<number> {
  const target = await open(io, flags, "read and count", { needsSource: false });
  const result = await dlqStats({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    ...readSettings(io, flags, signal),
  });
  io.out(flags.json ? json(result) : formatStats(result, queueNameOf(target.dlqUrl)));
  return result.truncation === Truncation.interrupted ? DLQ_EXIT_CODES.partial : DLQ_EXIT_CODES.ok;
}

export async function peek(io: DlqIo, flags: PeekFlags, signal: AbortSignal): Promise<number> {
  const { target, read } = await openFilteredRead(
    io,
    flags,
    signal,
    (selection) => `show up to ${flags.limit} of ${selection}`,
  );
  const result = await peekMessages({ ...read, limit: flags.limit });
  const ledger = await ledgerView(flags, target, result.messages);
  if (flags.json) {
    io.out(
      json({
        ...result,
        messages: result.messages.map((message) => peekJson(message, flags.showMetadata ?? false, ledger)),
      }),
    );
  } else {
    io.out(formatPeek(result.messages, { showMetadata: flags.showMetadata ?? false, ...result, ledger }));
  }
  return result.truncation === Truncation.interrupted ? DLQ_EXIT_CODES.partial : DLQ_EXIT_CODES.ok;
}

/**
 * What the ledger holds for the shown messages' orders, when a ledger is known: one `BatchGetItem`
 * per 100 shown. A ledger that cannot be read costs the view, not the peek.
 */
async function ledgerView(
  flags: LedgerFlags & { outputs?: string },
  target: DlqTarget,
  messages: readonly DlqMessage[],
): Promise<LedgerView | undefined> {
  const ledger = appliedVersionLookupFor(resolveLedger(flags, target.origin));
  if (ledger === undefined || messages.length === 0) return undefined;
  try {
    return { table: ledger.table, applied: await appliedVersionsOf(ledger.lookup, messages) };
  } catch (error) {
    return {
      table: ledger.table,
      applied: new Map(),
      unreadable: error instanceof Error ? error.name : "error",
    };
  }
}

/** One message of `peek --json`: the export's fields, its `issuedAt`, and the ledger's version when known. */
function peekJson(message: DlqMessage, showMetadata: boolean, ledger: LedgerView | undefined) {
  const { body, ...exported } = toExported(message);
  const issuedAt = message.version === undefined ? null : new Date(message.version).toISOString();
  const applied: Version | undefined = ledger?.applied.get(message.publicId ?? "");
  const fromLedger =
    ledger === undefined || ledger.unreadable !== undefined
      ? {}
      : {
          appliedIssuedAt: applied === undefined ? null : new Date(applied.issuedAt).toISOString(),
          superseded: isOvertaken(message, applied),
        };
  return showMetadata
    ? { ...exported, issuedAt, ...fromLedger, body, metadata: message.metadata ?? null }
    : {
        ...exported,
        issuedAt,
        ...fromLedger,
        metadataKeys: message.metadata === undefined ? null : Object.keys(message.metadata),
      };
}

export async function exportCommand(io: DlqIo, flags: ExportFlags, signal: AbortSignal): Promise<number> {
  const { read } = await openFilteredRead(
    io,
    flags,
    signal,
    (selection) => `export ${selection} to ${flags.out}`,
  );
  const summary = await exportMessages({ ...read, out: flags.out });
  io.out(flags.json ? json(summary) : formatExport(summary));
  return readExitCode(summary);
}

/**
 * Resolves the queues for a read of the messages the flags' filter selects, says what is about to
 * happen (`what` is given the filter's description), and gives what every such read passes to the library.
 */
async function openFilteredRead(
  io: DlqIo,
  flags: CommonFlags,
  signal: AbortSignal,
  what: (selection: string) => string,
) {
  const filter = filterFrom(flags);
  const target = await open(io, flags, what(describeFilter(filter)), { needsSource: false });
  const read = { sqs: target.sqs, dlqUrl: target.dlqUrl, filter, ...readSettings(io, flags, signal) };
  return { target, read };
}
