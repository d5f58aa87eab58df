/** The actions of `dlq replay` (the careful path back) and `dlq redrive` (SQS's bulk move task). */
import { MoveTasksUnsupportedError } from "../../tools/dlq/errors.ts";
import { describeFilter } from "../../tools/dlq/filters.ts";
import { queueNameOf } from "../../tools/dlq/queue-pair.ts";
import { cancelRedrive, listRedrives, startRedrive } from "../../tools/dlq/redrive.ts";
import { type ReplaySummary, replayMessages } from "../../tools/dlq/replay.ts";
import { type DlqTargetFlags, guardDestructive } from "../shared/dlq-target.ts";
import { appliedVersionLookupFor, type LedgerFlags, resolveLedger } from "../shared/ledger.ts";
import { formatReplay, formatTasks } from "./dlq-format.ts";
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

export interface ReplayFlags extends CommonFlags, LedgerFlags {
  dryRun?: boolean;
  rate: number;
  limit?: number;
  includeSuperseded?: boolean;
}

export interface RedriveFlags extends DlqTargetFlags {
  json?: boolean;
  force?: boolean;
  velocity?: number;
  status?: boolean;
  cancel?: boolean;
}

export async function replay(io: DlqIo, flags: ReplayFlags, signal: AbortSignal): Promise<number> {
  const filter = filterFrom(flags);
  const target = await open(
    io,
    flags,
    `${flags.dryRun ? "dry run: decide, move nothing, for" : "replay"} ${describeFilter(filter)} at ≤ ${flags.rate}/s`,
    { needsSource: true },
  );
  io.err(`  checked: ${await guardDestructive(target, flags.force ?? false)}\n`);
  const found = appliedVersionLookupFor(resolveLedger(flags, target.origin));
  const ledger = found?.lookup;
  if (found !== undefined) {
    io.err(`  superseded check: the ledger table ${found.table}\n`);
  } else if (!flags.includeSuperseded) {
    io.err(
      "  no ledger configured (--ledger-table): only a newer message in the DLQ itself counts as superseding\n",
    );
  }
  let lastProgressAt = 0;
  const summary = await replayMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    sourceQueueUrl: target.sourceQueueUrl ?? "",
    filter,
    includeSuperseded: flags.includeSuperseded,
    ledger,
    ratePerSecond: flags.rate,
    limit: flags.limit,
    dryRun: flags.dryRun,
    ...readSettings(io, flags, signal),
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
}

/**
 * 2 when anything selected for replay did not make it all the way (not sent, not deleted, stopped),
 * or when the read could not cover the whole DLQ.
 */
export function replayExitCode(summary: ReplaySummary): number {
  return summary.notSent.length > 0 || summary.sentNotDeleted.length > 0 || summary.interrupted
    ? DLQ_EXIT_CODES.partial
    : readExitCode(summary);
}

export async function redrive(io: DlqIo, flags: RedriveFlags): Promise<number> {
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
