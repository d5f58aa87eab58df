import type { Command } from "commander";
import { DlqArgumentError, MoveTasksUnsupportedError } from "../dlq/errors.ts";
import { exportMessages, toExported } from "../dlq/export.ts";
import { describeFilter, isEmptyFilter } from "../dlq/filters.ts";
import { dlqStats, peekMessages } from "../dlq/inspect.ts";
import { purgeMessages } from "../dlq/purge.ts";
import { queueNameOf } from "../dlq/queue-pair.ts";
import { cancelRedrive, listRedrives, startRedrive } from "../dlq/redrive.ts";
import { DEFAULT_REPLAY_RATE, type ReplaySummary, replayMessages } from "../dlq/replay.ts";
import { SpotMetaError } from "../errors.ts";
import {
  formatExport,
  formatPeek,
  formatPurge,
  formatReplay,
  formatStats,
  formatTasks,
} from "./dlq-format.ts";
import { devLedgerFlags, type LedgerFlags, ledgerReaderFor } from "./dlq-ledger.ts";
import { type FilterFlags, filterFrom, positiveInteger, withFilters, withTarget } from "./dlq-options.ts";
import { type DlqTarget, type DlqTargetFlags, guardDestructive, resolveDlqTarget } from "./dlq-target.ts";

export const DLQ_EXIT_CODES = { ok: 0, failed: 1, partial: 2 } as const;

/** Where the commands write; tests pass their own. */
export interface DlqIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** Whether stderr is a terminal (progress rewrites one line then). */
  interactive: boolean;
  /**
   * Long poll of each DLQ receive; the last, empty one waits this long. Tests against the local
   * stack set 0 (fauxqs answers whole); against SQS a short poll may miss messages. @default 1
   */
  waitTimeSeconds?: number;
}

const processIo: DlqIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  interactive: process.stderr.isTTY === true,
};

interface CommonFlags extends DlqTargetFlags, FilterFlags {
  json?: boolean;
  max: number;
  force?: boolean;
}

export function registerDlqCommand(program: Command, io: DlqIo = processIo): void {
  const dlq = program
    .command("dlq")
    .description(
      "Inspect the dead-letter queue and put messages back: stats, peek, replay, redrive, export, purge.",
    );

  withTarget(dlq.command("stats"))
    .description(
      "How many messages, grouped by reason class, HTTP status and Spot error type, oldest and newest failure.",
    )
    .action((flags: CommonFlags) => run(io, "stats", () => stats(io, flags)));

  withFilters(withTarget(dlq.command("peek")))
    .description(
      "The messages themselves: publicId, reason, status, error type, details, attempts, times, source.",
    )
    .option("--limit <n>", "show at most this many", positiveInteger, 20)
    .option("--show-metadata", "show metadata values (they can hold health information)")
    .action((flags: CommonFlags & { limit: number; showMetadata?: boolean }) =>
      run(io, "peek", () => peek(io, flags)),
    );

  withFilters(withTarget(dlq.command("replay")))
    .description(
      "Send the selected messages back to the source queue (body unchanged, failure attributes cleared, replay-count + 1), then delete them from the DLQ.",
    )
    .option("--dry-run", "say what would be replayed and skipped, move nothing")
    .option("--rate <n>", "messages per second", positiveInteger, DEFAULT_REPLAY_RATE)
    .option("--limit <n>", "replay at most this many", positiveInteger)
    .option(
      "--include-superseded",
      "also replay messages a newer applied update (or a newer DLQ message) supersedes",
    )
    .option(
      "--ledger-table <name>",
      "the applied-updates ledger's DynamoDB table, to skip superseded messages",
    )
    .option("--ledger-endpoint-url <url>", "a non-AWS DynamoDB endpoint for --ledger-table")
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    .action((flags: CommonFlags & ReplayFlags) => run(io, "replay", () => replay(io, flags)));

  withTarget(dlq.command("redrive"))
    .description(
      "Bulk: SQS's own message move task, DLQ → source queue, everything, unfiltered (no superseded or invalid checks: `replay` is the careful path).",
    )
    .option(
      "--velocity <n>",
      "messages per second (SQS's MaxNumberOfMessagesPerSecond, 1-500)",
      positiveInteger,
    )
    .option("--status", "show the DLQ's move tasks and their progress, start nothing")
    .option("--cancel", "cancel the running move task")
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    .action((flags: CommonFlags & RedriveFlags) => run(io, "redrive", () => redrive(io, flags)));

  withFilters(withTarget(dlq.command("export")))
    .description("Write the selected messages and their failures to a JSON Lines file; removes nothing.")
    .requiredOption("--out <file>", "the JSON Lines file to write (replaced)")
    .action((flags: CommonFlags & { out: string }) => run(io, "export", () => exportCommand(io, flags)));

  withFilters(withTarget(dlq.command("purge")))
    .description("Remove the selected messages for good. Without --yes, only says what it would remove.")
    .option("--yes", "remove them")
    .option("--all", "with no filter: yes, every message")
    .option("--export <file>", "write them to this JSON Lines file first")
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    .action((flags: CommonFlags & PurgeFlags) => run(io, "purge", () => purge(io, flags)));
}

interface ReplayFlags extends LedgerFlags {
  dryRun?: boolean;
  rate: number;
  limit?: number;
  includeSuperseded?: boolean;
}
interface RedriveFlags {
  velocity?: number;
  status?: boolean;
  cancel?: boolean;
}
interface PurgeFlags {
  yes?: boolean;
  all?: boolean;
  export?: string;
}

async function stats(io: DlqIo, flags: CommonFlags): Promise<number> {
  const target = await open(io, flags, "read and count", { needsSource: false });
  const result = await dlqStats({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    max: flags.max,
    waitTimeSeconds: io.waitTimeSeconds,
  });
  io.out(flags.json ? json(result) : formatStats(result, queueNameOf(target.dlqUrl)));
  return DLQ_EXIT_CODES.ok;
}

async function peek(
  io: DlqIo,
  flags: CommonFlags & { limit: number; showMetadata?: boolean },
): Promise<number> {
  const filter = filterFrom(flags);
  const target = await open(io, flags, `show up to ${flags.limit} of ${describeFilter(filter)}`, {
    needsSource: false,
  });
  const result = await peekMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    limit: flags.limit,
    max: flags.max,
    waitTimeSeconds: io.waitTimeSeconds,
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
  return DLQ_EXIT_CODES.ok;
}

async function replay(io: DlqIo, flags: CommonFlags & ReplayFlags): Promise<number> {
  const filter = filterFrom(flags);
  const target = await open(
    io,
    flags,
    `${flags.dryRun ? "dry run: decide, move nothing, for" : "replay"} ${describeFilter(filter)} at ≤ ${flags.rate}/s`,
    { needsSource: true },
  );
  io.err(`  checked: ${await guardDestructive(target, flags.force ?? false)}\n`);
  const ledgerFlags = devLedgerFlags(flags, target);
  const ledger = ledgerReaderFor(ledgerFlags);
  if (ledger !== undefined) {
    io.err(`  superseded check: the ledger table ${ledgerFlags.ledgerTable}\n`);
  } else if (!flags.includeSuperseded) {
    io.err(
      "  no ledger configured (--ledger-table): only a newer message in the DLQ itself counts as superseding\n",
    );
  }
  const controller = new AbortController();
  const onSigint = () => {
    io.err("\nstopping after this batch; the rest stays in the DLQ\n");
    controller.abort();
  };
  process.once("SIGINT", onSigint);
  let lastProgressAt = 0;
  try {
    const summary = await replayMessages({
      sqs: target.sqs,
      dlqUrl: target.dlqUrl,
      sourceQueueUrl: target.sourceQueueUrl ?? "",
      filter,
      includeSuperseded: flags.includeSuperseded,
      ledger,
      ratePerSecond: flags.rate,
      limit: flags.limit,
      max: flags.max,
      dryRun: flags.dryRun,
      waitTimeSeconds: io.waitTimeSeconds,
      signal: controller.signal,
      onProgress: ({ replayed, total }) => {
        const now = performance.now();
        if (replayed < total && now - lastProgressAt < 1_000) return;
        lastProgressAt = now;
        io.err(
          io.interactive
            ? `\rreplayed ${replayed}/${total}${replayed === total ? "\n" : ""}`
            : `replayed ${replayed}/${total}\n`,
        );
      },
    });
    io.out(flags.json ? json(summary) : formatReplay(summary));
    return replayExitCode(summary);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** 2 when anything selected for replay did not make it all the way (not sent, not deleted, stopped). */
export function replayExitCode(summary: ReplaySummary): number {
  return summary.notSent.length > 0 || summary.sentNotDeleted.length > 0 || summary.interrupted
    ? DLQ_EXIT_CODES.partial
    : DLQ_EXIT_CODES.ok;
}

async function redrive(io: DlqIo, flags: CommonFlags & RedriveFlags): Promise<number> {
  const action = flags.status
    ? "show the move tasks of"
    : flags.cancel
      ? "cancel the running move task of"
      : `move every message (SQS's move task, ${flags.velocity === undefined ? "at SQS's pace" : `≤ ${flags.velocity}/s`}) back from`;
  const target = await open(io, flags, action, { needsSource: !flags.status });
  const queues = { sqs: target.sqs, dlqUrl: target.dlqUrl, sourceQueueUrl: target.sourceQueueUrl ?? "" };
  try {
    if (flags.status) {
      const tasks = await listRedrives(queues);
      io.out(flags.json ? json(tasks) : formatTasks(tasks));
      return DLQ_EXIT_CODES.ok;
    }
    io.err(`  checked: ${await guardDestructive(target, flags.force ?? false)}\n`);
    if (flags.cancel) {
      const result = await cancelRedrive(queues);
      io.out(
        flags.json
          ? json(result)
          : result.cancelled === undefined
            ? "no running move task to cancel\n"
            : `cancelled; about ${result.moved ?? result.cancelled.moved} messages had been moved (they stay moved)\n`,
      );
      return DLQ_EXIT_CODES.ok;
    }
    const result = await startRedrive(queues, flags.velocity);
    io.out(
      flags.json
        ? json(result)
        : `started move task ${result.taskHandle ?? "(no handle)"}\n${formatTasks(result.tasks)}progress: spot-meta dlq redrive --status; stop: spot-meta dlq redrive --cancel\n`,
    );
    return DLQ_EXIT_CODES.ok;
  } catch (error) {
    if (!(error instanceof MoveTasksUnsupportedError)) throw error;
    io.err(
      `spot-meta dlq redrive: ${queueNameOf(target.dlqUrl)}'s server has no message move tasks (the local stack's fauxqs 2.4.1 lacks them; AWS SQS has them).\n` +
        "  use `spot-meta dlq replay` instead: it moves the messages itself, with filters and a rate.\n",
    );
    return DLQ_EXIT_CODES.failed;
  }
}

async function exportCommand(io: DlqIo, flags: CommonFlags & { out: string }): Promise<number> {
  const filter = filterFrom(flags);
  const target = await open(io, flags, `export ${describeFilter(filter)} to ${flags.out}`, {
    needsSource: false,
  });
  const summary = await exportMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    out: flags.out,
    max: flags.max,
    waitTimeSeconds: io.waitTimeSeconds,
  });
  io.out(flags.json ? json(summary) : formatExport(summary));
  return DLQ_EXIT_CODES.ok;
}

async function purge(io: DlqIo, flags: CommonFlags & PurgeFlags): Promise<number> {
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
    max: flags.max,
    waitTimeSeconds: io.waitTimeSeconds,
  });
  io.out(flags.json ? json(summary) : formatPurge(summary));
  return summary.notRemoved > 0 ? DLQ_EXIT_CODES.partial : DLQ_EXIT_CODES.ok;
}

/** Resolves the queues and says what is about to happen to which queue. */
async function open(
  io: DlqIo,
  flags: DlqTargetFlags,
  what: string,
  options: { needsSource: boolean },
): Promise<DlqTarget> {
  const target = await resolveDlqTarget(flags, options);
  const source = target.sourceQueueUrl === undefined ? "" : ` (source queue ${target.sourceQueueUrl})`;
  io.err(`about to ${what}: DLQ ${target.dlqUrl}${source}; queues from ${target.origin}\n`);
  return target;
}

async function run(io: DlqIo, name: string, command: () => Promise<number>): Promise<void> {
  try {
    io.setExitCode(await command());
  } catch (error) {
    io.err(`spot-meta dlq ${name}: ${describeError(error)}\n`);
    io.setExitCode(DLQ_EXIT_CODES.failed);
  }
}

function describeError(error: unknown): string {
  if (error instanceof SpotMetaError) return error.message;
  // The SDK's errors (no such queue, no permission, connection refused) name the cause well enough.
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
