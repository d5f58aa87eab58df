/**
 * `spot-meta import-status <import id | file.csv>`: where an import's rows are now — applied at
 * Spot, overtaken by a newer update, dead-lettered (with reasons), still on the way — read from the
 * ledger, the DLQ and the import's receipt. `--watch` follows it until every row has reached an end.
 * Exit code: 0 every row reached Spot, 2 some need action (dead-lettered, rejected), 3 some are not
 * there yet (or, without a ledger, cannot be told).
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
import { describeFailure } from "../shared/aws-failures.ts";
import { CTRL_C_EXIT_CODE, onCtrlC } from "../shared/ctrl-c.ts";
import { type DlqTarget, resolveDlqTarget } from "../shared/dlq-target.ts";
import { devLedgerFlags, type LedgerFlags, ledgerClientFor } from "../shared/ledger.ts";
import { createStatusProgress, formatStatus } from "./import-status-format.ts";

export const STATUS_EXIT_CODES = { reached: 0, needsAction: 2, notThere: 3, failed: 1 } as const;

interface StatusFlags extends LedgerFlags {
  queueUrl?: string;
  dlqUrl?: string;
  endpointUrl?: string;
  outputs?: string;
  watch?: boolean;
  interval: number;
  json?: boolean;
}

export function registerImportStatusCommand(program: Command): void {
  program
    .command("import-status")
    .description(
      "Where an import's rows are now: applied at Spot, overtaken by a newer update, dead-lettered, or still on the way",
    )
    .argument(
      "<import>",
      "the import's id (printed by spot-meta import), or its CSV file for the latest import of it",
    )
    .option(
      "--queue-url <url>",
      "the source queue (else SPOT_META_QUEUE_URL, --outputs, or the running `spot-meta dev`)",
    )
    .option("--dlq-url <url>", "the DLQ (else found from the source queue)")
    .option("--endpoint-url <url>", "send the SQS calls here (default: the queue URL's own endpoint)")
    .option("--region <region>", "the queues' and the ledger's region")
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`")
    .option("--ledger-table <name>", "the applied-updates ledger (else the running `spot-meta dev`'s)")
    .option("--ledger-endpoint-url <url>", "a non-AWS DynamoDB endpoint for --ledger-table")
    .option("--watch", "follow the import until every row has reached an end")
    .option("--interval <seconds>", "seconds between two looks with --watch", positiveNumber, 5)
    .option("--json", "print the status as JSON")
    .action(async (idOrFile: string, flags: StatusFlags) => {
      process.exitCode = await runImportStatus(idOrFile, flags);
    });
}

async function runImportStatus(idOrFile: string, flags: StatusFlags): Promise<number> {
  let target: DlqTarget | undefined;
  try {
    const receipt = findReceipt(idOrFile);
    target = await resolveDlqTarget(flags, { needsSource: false });
    if (target.sourceQueueUrl !== undefined && target.sourceQueueUrl !== receipt.queueUrl) {
      throw new SpotMetaError(
        `import ${receipt.id} went to ${receipt.queueUrl}, not to ${target.sourceQueueUrl}: name its queue with --queue-url`,
      );
    }
    const ledger = ledgerClientFor(devLedgerFlags(flags, target));
    if (ledger === undefined && !flags.json)
      process.stderr.write("no ledger (--ledger-table): applied and on-the-way rows cannot be told apart\n");
    const reached: ReachedRows = { fates: new Uint8Array(0) };
    const look = () => lookOnce(receipt, target as DlqTarget, ledger, reached);
    const status = flags.watch ? await watch(look, flags.interval) : await look();
    process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return exitCodeOf(status);
  } catch (error) {
    // The project's refusals, and AWS's (a queue or table that does not exist, no region, access denied), in one line.
    const line = describeFailure(error);
    if (line === undefined) throw error;
    process.stderr.write(`spot-meta import-status: ${line}\n`);
    return STATUS_EXIT_CODES.failed;
  } finally {
    target?.sqs.destroy();
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

/** Looks again every `intervalSeconds` until the import has settled, with progress on stderr. */
async function watch(look: () => Promise<ImportStatus>, intervalSeconds: number): Promise<ImportStatus> {
  const progress = createStatusProgress(process.stderr);
  const stop = new AbortController();
  const offCtrlC = onCtrlC((press) => {
    if (press > 1) process.exit(CTRL_C_EXIT_CODE);
    progress.stop();
    stop.abort();
  });
  try {
    for (;;) {
      const status = await look();
      progress.update(status);
      if (status.settled || status.counts[RowFate.queued] > 0 || stop.signal.aborted) return status;
      await sleep(intervalSeconds * 1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    offCtrlC();
    progress.stop();
  }
}

function exitCodeOf(status: ImportStatus): number {
  const { counts } = status;
  if (!status.settled || counts[RowFate.queued] > 0) return STATUS_EXIT_CODES.notThere;
  if (counts[RowFate.deadLettered] > 0 || counts[RowFate.rejected] > 0) return STATUS_EXIT_CODES.needsAction;
  return STATUS_EXIT_CODES.reached;
}
