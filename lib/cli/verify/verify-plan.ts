/**
 * What a `spot-meta verify` run compares with, where it starts and where its report goes, all checked
 * before the first read: the file's last row of each order (and, with `--fix`, the producer that sends
 * the drifted ones again), or the ledger's orders (all of them, or those of `--ids`), resumed from the
 * report's checkpoint when asked.
 */
import { basename, join, resolve } from "node:path";
import { appliedVersions } from "../../tools/applied-versions.ts";
import { fingerprint } from "../../tools/csv-import/checkpoint.ts";
import { findReceipt, type ImportReceipt } from "../../tools/csv-import/receipt.ts";
import { Producer } from "../../tools/producer.ts";
import { readCheckpoint } from "../../tools/verify/checkpoint.ts";
import { VerifyError } from "../../tools/verify/errors.ts";
import { fileSteps } from "../../tools/verify/file-source.ts";
import { Fixer } from "../../tools/verify/fix.ts";
import { idSteps, type LedgerTable, scanSteps } from "../../tools/verify/ledger-source.ts";
import {
  type Position,
  type Step,
  type Subject,
  type VerifyCounts,
  zeroCounts,
} from "../../tools/verify/types.ts";
import { sqsClientFor } from "../shared/sqs-client.ts";
import { resolveTarget } from "../shared/target.ts";

/** The flags a plan reads: what to compare with, the report, and for `--fix` the queue to send to. */
export interface PlanFlags {
  file?: string;
  ids?: string;
  report?: string;
  resume?: boolean;
  fix?: boolean;
  queueUrl?: string;
  endpointUrl?: string;
  region?: string;
  outputs?: string;
}

export interface RunPlan {
  against: string;
  reportPath: string;
  resumeAt: number | undefined;
  total: number | undefined;
  steps: AsyncIterable<Step>;
  position: Position;
  counts: VerifyCounts;
  fixer?: Fixer;
  describeWinner(subject: Subject): string;
}

/** What to compare with, where to start, and the report: all checked before the first read. */
export async function planRun(
  flags: PlanFlags,
  ledger: LedgerTable | undefined,
  closers: (() => void)[],
): Promise<RunPlan> {
  const against =
    flags.file !== undefined
      ? `file:${resolve(flags.file)}`
      : flags.ids !== undefined
        ? `ids:${resolve(flags.ids)}`
        : "ledger";
  if (flags.resume && flags.report === undefined)
    throw new VerifyError("--resume needs the --report of the run to go on with");
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  // Beside the import receipts, git-ignored: a report names orders and belongs in no checkout.
  const reportPath = resolve(flags.report ?? join(".spot-meta", "verify", `verify-${stamp}.csv`));
  const resumed = flags.resume ? readCheckpoint(reportPath, against) : undefined;
  const common = {
    against,
    reportPath,
    resumeAt: resumed?.reportBytes,
    counts: resumed?.counts ?? zeroCounts(),
  };
  if (flags.file !== undefined)
    return { ...common, ...(await fileRun(flags, flags.file, ledger, resumed, closers)) };
  return { ...common, ...ledgerRun(flags, ledger as LedgerTable, resumed) };
}

type Resumed = ReturnType<typeof readCheckpoint> | undefined;

/** Checks the ledger's orders: all of them (a Scan, resumable at its last key), or those of `--ids`. */
function ledgerRun(flags: PlanFlags, table: LedgerTable, resumed: Resumed) {
  if (flags.ids !== undefined) {
    const position = (resumed?.position as number | undefined) ?? 0;
    return {
      total: undefined,
      position,
      steps: idSteps(table, flags.ids, position),
      describeWinner: appliedWinner,
    };
  }
  const position = resumed === undefined ? {} : resumed.position;
  const from =
    position === null || Object.keys(position).length === 0
      ? undefined
      : (position as Record<string, unknown>);
  const steps = position === null ? emptySteps() : scanSteps(table, from);
  return { total: undefined, position, steps, describeWinner: appliedWinner };
}

/** Checks the file's last row of each order; with `--fix`, re-sends those that drifted. */
async function fileRun(
  flags: PlanFlags,
  file: string,
  ledger: LedgerTable | undefined,
  resumed: Resumed,
  closers: (() => void)[],
) {
  const receipt = await receiptOf(file);
  const issuedAt = receipt === undefined ? undefined : Date.parse(receipt.startedAt);
  const position = (resumed?.position as number | undefined) ?? 0;
  const { rows, steps } = await fileSteps({
    file,
    from: position,
    ...(issuedAt === undefined ? {} : { issuedAt }),
    ...(ledger === undefined
      ? {}
      : { appliedVersions: (ids: string[]) => appliedVersions(ledger.client, ledger.table, ids) }),
  });
  const name = basename(file);
  const describeWinner = (subject: Subject) =>
    subject.expected.kind === "row" ? `line ${subject.expected.line} of ${name}` : "";
  if (!flags.fix) return { total: rows, position, steps, describeWinner };
  if (issuedAt === undefined)
    throw new VerifyError(
      `--fix: no import receipt of ${file} here, so the version its rows were sent with is unknown`,
    );
  const target = resolveTarget(flags);
  // The copy waits a few seconds in the queue so that the ledger's leave to re-assert lands first;
  // a FIFO queue refuses a message's own delay.
  if (target.queueUrl.endsWith(".fifo"))
    throw new VerifyError(
      `--fix: ${target.queueUrl} is a FIFO queue, which refuses the per-message delay a fix needs; import the drifted orders' rows of the file again instead (a new import is newer)`,
    );
  const sqs = sqsClientFor(target);
  closers.push(() => sqs.destroy());
  const producer = new Producer({ sqs, queueUrl: target.queueUrl, source: "spot-meta verify --fix" });
  return {
    total: rows,
    position,
    steps,
    describeWinner,
    fixer: new Fixer({ producer, ledger, issuedAt, fileName: name }),
  };
}

function appliedWinner(subject: Subject): string {
  const { expected } = subject;
  if (expected.kind !== "applied" || expected.messageId === "none") return "";
  return `applied ${new Date(expected.version.issuedAt).toISOString()} (message ${expected.messageId})`;
}

async function* emptySteps(): AsyncGenerator<Step> {}

/** The latest import of the file, if its receipt is here and the file is still what was imported. */
async function receiptOf(file: string): Promise<ImportReceipt | undefined> {
  let receipt: ImportReceipt;
  try {
    receipt = findReceipt(file);
  } catch {
    return undefined;
  }
  if ((await fingerprint(file)).sha256 === receipt.sha256) return receipt;
  process.stderr.write(
    `spot-meta verify: ${file} changed since import ${receipt.id}: its version is unknown\n`,
  );
  return undefined;
}
