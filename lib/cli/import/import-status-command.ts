/**
 * `spot-meta import-status <import id | file.csv>`: where an import's rows are now — applied at
 * Spot, overtaken by a newer update, dead-lettered (with reasons), still on the way — read from the
 * ledger, the DLQ and the import's receipt. `--watch` follows it until every row has reached an end.
 * Exit code: 0 every row reached Spot, 3 some need action (dead-lettered, rejected), 4 some are not
 * there yet (or, without a ledger, cannot be told), 2 a `--watch` stopped before they were.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { SpotMetaError } from "../../lambda/errors.ts";
import { appliedVersions } from "../../tools/applied-versions.ts";
import {
  type ImportStatus,
  importStatus,
  type ReachedRows,
  RowFate,
} from "../../tools/csv-import/import-status.ts";
import { findReceipt, type ImportReceipt, importIdOfSource } from "../../tools/csv-import/receipt.ts";
import { MAX_READ, withDlqReader } from "../../tools/dlq/dlq-reader.ts";
import { positiveNumber } from "../shared/arguments.ts";
import { type DlqTarget, resolveDlqTarget } from "../shared/dlq-target.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { type LedgerFlags, ledgerClientFor, resolveLedger } from "../shared/ledger.ts";
import { type TargetFlags, withLedger, withTarget } from "../shared/options.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";
import { createStatusProgress, formatStatus } from "./import-status-format.ts";

/** import-status's exit codes: the CLI's one table (shared/exit-codes.ts). */
export const STATUS_EXIT_CODES = {
  reached: EXIT_CODES.ok,
  needsAction: EXIT_CODES.needsAction,
  notThere: EXIT_CODES.notYet,
  failed: EXIT_CODES.couldNotRun,
} as const;

interface StatusFlags extends LedgerFlags, TargetFlags {
  watch?: boolean;
  interval: number;
  json?: boolean;
}

export function registerImportStatusCommand(program: Command, io: CommandIo = processIo): void {
  const command = program
    .command("import-status")
    .description(
      "Where an import's rows are now: applied at Spot, overtaken by a newer update, dead-lettered, or still on the way",
    )
    .argument(
      "<import>",
      "the import's id (printed by spot-meta import), or its CSV file for the latest import of it",
    );
  withLedger(withTarget(command, { dlq: true }), "to tell applied rows")
    .option("--watch", "follow the import until every row has reached an end")
    .option("--interval <seconds>", "seconds between two looks with --watch", positiveNumber, 5)
    .option("--json", "print the status as JSON")
    .action((idOrFile: string, flags: StatusFlags) =>
      runCommand(io, "import-status", (signal) => importStatusCommand(io, idOrFile, flags, signal), {
        stopping: "showing where the rows are now",
      }),
    );
}

async function importStatusCommand(
  io: CommandIo,
  idOrFile: string,
  flags: StatusFlags,
  signal: AbortSignal,
): Promise<number> {
  const receipt = findReceipt(idOrFile);
  const target = await resolveDlqTarget(flags, { needsSource: false });
  try {
    if (target.sourceQueueUrl !== undefined && target.sourceQueueUrl !== receipt.queueUrl) {
      throw new SpotMetaError(
        `import ${receipt.id} went to ${receipt.queueUrl}, not to ${target.sourceQueueUrl}: name its queue with --queue-url`,
      );
    }
    const ledger = ledgerClientFor(resolveLedger(flags, target.origin));
    if (ledger === undefined && !flags.json)
      io.err("no ledger (--ledger-table): applied and on-the-way rows cannot be told apart\n");
    const reached: ReachedRows = { fates: new Uint8Array(0) };
    const look = () => lookOnce(receipt, target, ledger, reached);
    const status = flags.watch ? await watch(look, flags.interval, signal) : await look();
    io.out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    // A watch stopped before the end was asked to follow the rows there: done in part.
    if (flags.watch && signal.aborted && !status.settled) return EXIT_CODES.partial;
    return exitCodeOf(status);
  } finally {
    target.sqs.destroy();
  }
}

async function lookOnce(
  receipt: ImportReceipt,
  target: DlqTarget,
  ledger: ReturnType<typeof ledgerClientFor>,
  reached: ReachedRows,
): Promise<ImportStatus> {
  return importStatus(receipt, {
    appliedVersions:
      ledger === undefined ? undefined : (ids) => appliedVersions(ledger.client, ledger.table, ids),
    deadLetters: await deadLettersOf(receipt.id, target),
    reached,
  });
}

/**
 * The import's orders in the DLQ, with the newest message's reason. A read, not a change: every
 * message is released at once. (In a FIFO DLQ only a group's first message shows; one is enough.)
 */
async function deadLettersOf(importId: string, target: DlqTarget): Promise<Map<string, string>> {
  const found = new Map<string, { reason: string; at: number }>();
  await withDlqReader(target.sqs, target.dlqUrl, { max: MAX_READ }, async (reader) => {
    for (const message of await reader.next()) {
      if (message.publicId === undefined || importIdOfSource(message.source) !== importId) continue;
      const at = message.sentAt?.getTime() ?? 0;
      const reason = message.failure?.reason ?? message.reasonClass;
      if ((found.get(message.publicId)?.at ?? -1) <= at) found.set(message.publicId, { reason, at });
    }
  });
  return new Map([...found].map(([publicId, { reason }]) => [publicId, reason]));
}

/** Looks again every `intervalSeconds` until the import has settled or the signal stops it, with progress on stderr. */
async function watch(
  look: () => Promise<ImportStatus>,
  intervalSeconds: number,
  signal: AbortSignal,
): Promise<ImportStatus> {
  const progress = createStatusProgress(process.stderr);
  // The bar stops first: drawn again after the "stopping" line, it would land over it.
  signal.addEventListener("abort", () => progress.stop(), { once: true });
  try {
    for (;;) {
      const status = await look();
      progress.update(status);
      if (status.settled || status.counts[RowFate.queued] > 0 || signal.aborted) return status;
      await sleep(intervalSeconds * 1000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    progress.stop();
  }
}

function exitCodeOf(status: ImportStatus): number {
  const { counts } = status;
  if (!status.settled || counts[RowFate.queued] > 0) return STATUS_EXIT_CODES.notThere;
  if (counts[RowFate.deadLettered] > 0 || counts[RowFate.rejected] > 0) return STATUS_EXIT_CODES.needsAction;
  return STATUS_EXIT_CODES.reached;
}
