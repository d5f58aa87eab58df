/**
 * The actions of `dlq stats`, `peek`, `export` and `purge`: each says what it is about to do, calls
 * the library, prints the result and returns the exit code.
 */
import { Truncation } from "../dlq/dlq-reader.ts";
import { DlqArgumentError } from "../dlq/errors.ts";
import { exportMessages, toExported } from "../dlq/export.ts";
import { describeFilter, isEmptyFilter } from "../dlq/filters.ts";
import { dlqStats, peekMessages } from "../dlq/inspect.ts";
import { purgeMessages } from "../dlq/purge.ts";
import { queueNameOf } from "../dlq/queue-pair.ts";
import { formatExport, formatPeek, formatPurge, formatStats } from "./dlq-format.ts";
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
import { guardDestructive } from "./dlq-target.ts";

export type PeekFlags = CommonFlags & { limit: number; showMetadata?: boolean };
export type ExportFlags = CommonFlags & { out: string };
export type PurgeFlags = CommonFlags & { yes?: boolean; all?: boolean; export?: string };

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
  const filter = filterFrom(flags);
  const target = await open(io, flags, `show up to ${flags.limit} of ${describeFilter(filter)}`, {
    needsSource: false,
  });
  const result = await peekMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    limit: flags.limit,
    ...readSettings(io, flags, signal),
  });
  if (flags.json) {
    io.out(
      json({
        ...result,
        messages: result.messages.map((message) => {
          const { body, ...exported } = toExported(message);
          return flags.showMetadata
            ? { ...exported, body, metadata: message.metadata ?? null }
            : {
                ...exported,
                metadataKeys: message.metadata === undefined ? null : Object.keys(message.metadata),
              };
        }),
      }),
    );
  } else {
    io.out(formatPeek(result.messages, { showMetadata: flags.showMetadata ?? false, ...result }));
  }
  return result.truncation === Truncation.interrupted ? DLQ_EXIT_CODES.partial : DLQ_EXIT_CODES.ok;
}

export async function exportCommand(io: DlqIo, flags: ExportFlags, signal: AbortSignal): Promise<number> {
  const filter = filterFrom(flags);
  const target = await open(io, flags, `export ${describeFilter(filter)} to ${flags.out}`, {
    needsSource: false,
  });
  const summary = await exportMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    out: flags.out,
    ...readSettings(io, flags, signal),
  });
  io.out(flags.json ? json(summary) : formatExport(summary));
  return readExitCode(summary);
}

export async function purge(io: DlqIo, flags: PurgeFlags, signal: AbortSignal): Promise<number> {
  const filter = filterFrom(flags);
  if (flags.yes && isEmptyFilter(filter) && !flags.all) {
    throw new DlqArgumentError("no filter given: that is every message. Add --all if you mean it.");
  }
  const target = await open(
    io,
    flags,
    `${flags.yes ? "REMOVE" : "dry run (no --yes): count, remove nothing, for"} ${describeFilter(filter)}`,
    { needsSource: false },
  );
  if (flags.yes) io.err(`  checked: ${await guardDestructive(target, flags.force ?? false)}\n`);
  const summary = await purgeMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    confirm: flags.yes ?? false,
    exportTo: flags.export,
    ...readSettings(io, flags, signal),
  });
  io.out(flags.json ? json(summary) : formatPurge(summary));
  return summary.notRemoved > 0 || summary.interrupted ? DLQ_EXIT_CODES.partial : readExitCode(summary);
}
