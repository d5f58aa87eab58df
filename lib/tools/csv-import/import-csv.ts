/**
 * The CSV import: reads a file of order updates and puts each valid row on the queue through the
 * producer, with flat memory whatever the file's size. Bad rows go to a rejects file, rows a later
 * row supersedes are skipped, and an interrupted import resumes from its checkpoint without sending
 * acknowledged rows again. The `spot-meta import` command and `npm start` both call
 * {@link importCsv}.
 */
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError, InvalidInputError } from "../../lambda/errors.ts";
import { Producer } from "../producer.ts";
import {
  type Checkpoint,
  checkpointPathFor,
  type FileFingerprint,
  fingerprint,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { openCsv } from "./csv-rows.ts";
import { indexDuplicates } from "./duplicates.ts";
import { CheckpointError, QueueUnreachableError } from "./errors.ts";
import { type ImportPlan, ImportRun } from "./import-run.ts";
import { createProgress, type ProgressMode, type ProgressReporter } from "./progress.ts";
import { type ImportReceipt, newImportId, writeReceipt } from "./receipt.ts";
import { createRowMapper } from "./row-mapper.ts";
import type { ImportSummary } from "./summary.ts";

export interface ImportCsvOptions {
  /** The CSV file. */
  file: string;
  /** Where rows go; required unless `dryRun`. */
  target?: { sqs: SQSClient; queueUrl: string };
  /** Check every row and write the rejects file, but send nothing. @default false */
  dryRun?: boolean;
  /** Continue an interrupted import from its checkpoint (refused when there is none). @default false */
  resume?: boolean;
  /** @default "<file>.rejects.csv" */
  rejectsPath?: string;
  /** @default "<file>.checkpoint.json" */
  checkpointPath?: string;
  /** SendMessageBatch calls in flight. @default 16 */
  concurrency?: number;
  /** Attempts per batch entry before a row counts as not queued. @default 5 */
  maxAttempts?: number;
  /** @default 100 */
  retryBaseDelayMs?: number;
  /** Progress on stderr, or to a reporter of the caller's (the CLI's worker thread hands it to its main thread). @default "none" */
  progress?: ProgressMode | ProgressReporter;
  /** Aborting stops reading; in-flight sends finish and the checkpoint is written. */
  signal?: AbortSignal;
  /** How often the checkpoint is written while sending (for a crash). @default 1000 */
  checkpointIntervalMs?: number;
  /** Where the import's receipt goes for `spot-meta import-status` (the CLI's: `.spot-meta/imports`); none when unset. */
  receiptsDirectory?: string;
  now?: () => Date;
}

export { formatSummary, type ImportSummary } from "./summary.ts";

/**
 * Imports a CSV file. Row-level problems are counted and reported, never thrown.
 * @throws InvalidInputError when the file cannot be read
 * @throws CsvFormatError when the file has no public_id column or is not valid CSV (before anything is sent)
 * @throws CheckpointError when an unfinished import's checkpoint is in the way, or belongs to another file
 * @throws QueueUnreachableError when the queue does not answer (before anything is sent)
 */
export async function importCsv(options: ImportCsvOptions): Promise<ImportSummary> {
  const began = performance.now();
  const plan = await prepare(options);
  const run = new ImportRun(plan, options.signal);
  const progress =
    typeof options.progress === "object"
      ? options.progress
      : createProgress(options.progress ?? "none", undefined, undefined, plan.dryRun);
  const progressTimer = setInterval(() => progress.update(run.progress), 200);
  const checkpointTimer = plan.dryRun
    ? undefined
    : setInterval(
        () => writeCheckpoint(plan.checkpointPath, run.checkpoint()),
        options.checkpointIntervalMs ?? 1_000,
      );
  try {
    if (plan.dryRun || options.target === undefined) {
      for await (const _ of run.rows()) {
        // A dry run decides every row inside the generator.
      }
    } else {
      // Before the first send: a crash in the first second still resumes with this import's issuedAt,
      // and its status can be followed from the start.
      writeCheckpoint(plan.checkpointPath, run.checkpoint());
      if (options.receiptsDirectory !== undefined) writeReceipt(receiptOf(plan), options.receiptsDirectory);
      await producerFor(plan, options.target, options).send(run.rows(), (result, ref) =>
        run.onResult(result, ref),
      );
    }
  } finally {
    clearInterval(progressTimer);
    if (checkpointTimer !== undefined) clearInterval(checkpointTimer);
    progress.update(run.progress);
    progress.stop();
    run.close();
  }
  if (!plan.dryRun) {
    if (run.interrupted) writeCheckpoint(plan.checkpointPath, run.checkpoint());
    else removeCheckpoint(plan.checkpointPath);
  }
  return run.summary(performance.now() - began);
}

/** Checks the file, the checkpoint and the queue, and reads what the run needs, before anything is sent. */
async function prepare(options: ImportCsvOptions): Promise<ImportPlan> {
  const { file, dryRun = false, target } = options;
  try {
    statSync(file);
  } catch {
    throw new InvalidInputError(`cannot read ${file}: no such file`);
  }
  if (!dryRun && target === undefined)
    throw new InvalidInputError("a target queue is required unless dryRun is set");
  const checkpointPath = options.checkpointPath ?? checkpointPathFor(file);
  const content = dryRun ? undefined : await fingerprint(file);
  const earlier =
    content === undefined
      ? undefined
      : loadCheckpoint(checkpointPath, file, content, options.resume ?? false, target?.queueUrl);
  // Every row is issued at the import's start, never after it: a service update issued while the
  // import runs is newer than the whole file. Rows of one order in the file are deduplicated (the
  // last one is sent), so no two messages of one import for one order share this time. On resume it
  // comes from the checkpoint, so a resent row carries the same issuedAt.
  const startedAt = new Date(earlier?.startedAt ?? (options.now ?? (() => new Date()))()).toISOString();
  // The header is checked first: a file without a public_id column is the likelier mistake.
  const csv = await openCsv(file);
  const mapper = createRowMapper(csv.header);
  if (target !== undefined && !dryRun) await checkQueue(target.sqs, target.queueUrl);
  return {
    file,
    fileName: basename(file),
    dryRun,
    csv,
    mapper,
    duplicates: await indexDuplicates(file),
    earlier,
    content,
    queueUrl: target?.queueUrl,
    importId: earlier?.importId ?? newImportId(startedAt),
    startedAt,
    rejectsPath: options.rejectsPath ?? `${file}.rejects.csv`,
    checkpointPath,
  };
}

function receiptOf(plan: ImportPlan): ImportReceipt {
  const { importId, file, content, startedAt, queueUrl } = plan;
  return {
    id: importId,
    file: resolve(file),
    sha256: (content as FileFingerprint).sha256,
    startedAt,
    queueUrl: queueUrl as string,
  };
}

function producerFor(
  plan: ImportPlan,
  target: { sqs: SQSClient; queueUrl: string },
  options: ImportCsvOptions,
): Producer {
  return new Producer({
    sqs: target.sqs,
    queueUrl: target.queueUrl,
    source: `csv:${plan.fileName}`,
    messageGroupId: `csv:${plan.fileName}`,
    concurrency: options.concurrency ?? 16,
    maxAttempts: options.maxAttempts ?? 5,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
  });
}

function loadCheckpoint(
  path: string,
  file: string,
  content: FileFingerprint,
  resume: boolean,
  queueUrl: string | undefined,
): Checkpoint | undefined {
  const checkpoint = readCheckpoint(path);
  if (checkpoint === undefined) {
    if (!resume) return undefined;
    throw new CheckpointError(
      `nothing to resume: no checkpoint ${path}; run without --resume to import ${file} from its first row`,
    );
  }
  if (!resume) {
    throw new CheckpointError(
      `an earlier import of ${file} stopped before the end (checkpoint ${path}): pass --resume to continue it, or delete the checkpoint to start over`,
    );
  }
  if (content.sha256 !== checkpoint.file.sha256) {
    throw new CheckpointError(
      `${file} changed since the import stopped (checkpoint ${path}); resuming would skip the wrong rows: delete the checkpoint to start over`,
    );
  }
  if (queueUrl !== undefined && checkpoint.queueUrl !== undefined && checkpoint.queueUrl !== queueUrl) {
    throw new CheckpointError(`the interrupted import went to ${checkpoint.queueUrl}, not ${queueUrl}`);
  }
  return checkpoint;
}

async function checkQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  try {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  } catch (error) {
    throw new QueueUnreachableError(`cannot reach the queue ${queueUrl} (${describeError(error)})`);
  }
}
