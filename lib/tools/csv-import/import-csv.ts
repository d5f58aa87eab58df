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
import { InvalidInputError } from "../../lambda/errors.ts";
import { type OutgoingUpdate, Producer } from "../producer.ts";
import {
  type Checkpoint,
  checkpointPathFor,
  type DoneCounts,
  type FileFingerprint,
  fingerprint,
  readCheckpoint,
  removeCheckpoint,
  Watermark,
  writeCheckpoint,
} from "./checkpoint.ts";
import { openCsv } from "./csv-rows.ts";
import { indexDuplicates } from "./duplicates.ts";
import { CheckpointError, QueueUnreachableError } from "./errors.ts";
import { createProgress, type ProgressMode, type ProgressReporter } from "./progress.ts";
import { newImportId, rowSource, writeReceipt } from "./receipt.ts";
import { RejectsFile } from "./rejects-file.ts";
import { createRowMapper } from "./row-mapper.ts";
import type { ImportSummary, SupersededRow } from "./summary.ts";

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

export { exitCodeFor, formatSummary, type ImportSummary } from "./summary.ts";

const SUPERSEDED_EXAMPLES = 10;

interface RowRef {
  index: number;
  line: number;
  publicId: string;
}

/**
 * Imports a CSV file. Row-level problems are counted and reported, never thrown.
 * @throws InvalidInputError when the file cannot be read
 * @throws CsvFormatError when the file has no public_id column or is not valid CSV (before anything is sent)
 * @throws CheckpointError when an unfinished import's checkpoint is in the way, or belongs to another file
 * @throws QueueUnreachableError when the queue does not answer (before anything is sent)
 */
export async function importCsv(options: ImportCsvOptions): Promise<ImportSummary> {
  const { file, dryRun = false, target } = options;
  const now = options.now ?? (() => new Date());
  const began = performance.now();
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
  const startedAt = earlier?.startedAt ?? now().toISOString();
  // Every row is issued at the import's start, never after it: a service update issued while the
  // import runs is newer than the whole file. Rows of one order in the file are deduplicated below
  // (the last one is sent), so no two messages of one import for one order share this time. On
  // resume it comes from the checkpoint, so a resent row carries the same issuedAt.
  const issuedAt = new Date(startedAt).toISOString();
  const importId = earlier?.importId ?? newImportId(issuedAt);
  // The header is checked first: a file without a public_id column is the likelier mistake.
  const csv = await openCsv(file);
  const mapper = createRowMapper(csv.header);
  if (target !== undefined && !dryRun) await checkQueue(target.sqs, target.queueUrl);
  const duplicates = await indexDuplicates(file);
  const name = basename(file);
  const watermark = new Watermark(earlier?.nextRow, earlier?.doneAbove);
  const counts: DoneCounts = { ...(earlier?.counts ?? { queued: 0, rejected: 0, superseded: 0 }) };
  const rejectsPath = options.rejectsPath ?? `${file}.rejects.csv`;
  const rejects = new RejectsFile(
    rejectsPath,
    earlier === undefined ? {} : { resumeAt: earlier.rejectsBytes },
  );
  const supersededExamples: SupersededRow[] = [];
  let read = 0;
  let skipped = 0;
  let notQueued = 0;
  let decidedThisRun = 0;
  let reachedEnd = false;
  let stopSending = false;
  /** Why the queue stopped taking rows, when it did. */
  let queueFailure: string | undefined;

  const reasons = new ReasonTally();
  const reject = (ref: RowRef, reason: string) => {
    rejects.add(ref.line, ref.publicId, reason);
    reasons.add(reason);
    counts.rejected++;
    decidedThisRun++;
    watermark.markDone(ref.index);
  };
  const snapshot = (): Checkpoint => ({
    version: 2,
    importId,
    file: content as FileFingerprint,
    queueUrl: target?.queueUrl,
    startedAt,
    nextRow: watermark.nextRow,
    doneAbove: watermark.doneAbove,
    counts: { ...counts },
    rejectsBytes: rejects.bytes,
  });

  async function* outgoing(): AsyncGenerator<OutgoingUpdate<RowRef>> {
    for await (const row of csv.rows) {
      if (options.signal?.aborted || stopSending) return;
      read++;
      if (watermark.isDone(row.index)) {
        skipped++;
        continue;
      }
      const publicId = mapper.publicIdOf(row.cells);
      const ref: RowRef = { index: row.index, line: row.line, publicId };
      const supersededBy = publicId === "" ? undefined : duplicates.supersededBy(publicId, row.line);
      if (supersededBy !== undefined) {
        counts.superseded++;
        decidedThisRun++;
        if (supersededExamples.length < SUPERSEDED_EXAMPLES)
          supersededExamples.push({ line: row.line, publicId, supersededBy });
        watermark.markDone(row.index);
        continue;
      }
      const mapped = mapper.map(row.cells);
      if (!mapped.ok) {
        reject(ref, mapped.reason);
        continue;
      }
      if (dryRun) {
        counts.queued++;
        decidedThisRun++;
        continue;
      }
      yield {
        update: { publicId, metadata: mapped.metadata, issuedAt },
        source: rowSource(name, row.line, importId),
        ref,
        // The row mapper checked it against the contract (and gave a bad row its reason).
        validated: true,
      };
    }
    reachedEnd = true;
  }

  const progress =
    typeof options.progress === "object" ? options.progress : createProgress(options.progress ?? "none");
  const reportProgress = () =>
    progress.update({
      total: duplicates.rows,
      read,
      queued: counts.queued,
      rejected: counts.rejected,
      superseded: counts.superseded,
    });
  const progressTimer = setInterval(reportProgress, 200);
  const checkpointTimer = dryRun
    ? undefined
    : setInterval(() => writeCheckpoint(checkpointPath, snapshot()), options.checkpointIntervalMs ?? 1_000);
  try {
    if (dryRun || target === undefined) {
      for await (const _ of outgoing()) {
        // A dry run decides every row inside the generator.
      }
    } else {
      // Before the first send: a crash in the first second still resumes with this import's issuedAt,
      // and its status can be followed from the start.
      writeCheckpoint(checkpointPath, snapshot());
      if (options.receiptsDirectory !== undefined) {
        const sha256 = (content as FileFingerprint).sha256;
        const receipt = { id: importId, file: resolve(file), sha256, startedAt, queueUrl: target.queueUrl };
        writeReceipt(receipt, options.receiptsDirectory);
      }
      const producer = new Producer({
        sqs: target.sqs,
        queueUrl: target.queueUrl,
        source: `csv:${name}`,
        messageGroupId: `csv:${name}`,
        concurrency: options.concurrency ?? 16,
        maxAttempts: options.maxAttempts ?? 5,
        retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
      });
      await producer.send(outgoing(), (result, ref) => {
        if (ref === undefined) return;
        if (result.ok) {
          counts.queued++;
          decidedThisRun++;
          watermark.markDone(ref.index);
        } else if (result.cause !== "unavailable") {
          reject(ref, result.reason);
        } else {
          // The queue failed (retries used up, or a call refused as a whole: an expired token, access
          // denied, a deleted queue), not the row: stop here and leave the row for --resume.
          notQueued++;
          queueFailure ??= result.reason;
          stopSending = true;
        }
      });
    }
  } finally {
    clearInterval(progressTimer);
    if (checkpointTimer !== undefined) clearInterval(checkpointTimer);
    reportProgress();
    progress.stop();
    rejects.close();
  }

  const interrupted = !reachedEnd || notQueued > 0;
  if (!dryRun) {
    if (interrupted) writeCheckpoint(checkpointPath, snapshot());
    else removeCheckpoint(checkpointPath);
  }
  const durationMs = performance.now() - began;
  return {
    file,
    importId: dryRun ? undefined : importId,
    queueUrl: target?.queueUrl,
    dryRun,
    resumed: earlier !== undefined,
    rows: duplicates.rows,
    queued: counts.queued,
    rejected: counts.rejected,
    rejectReasons: reasons.commonest(5),
    superseded: counts.superseded,
    supersededExamples,
    notQueued,
    queueFailure,
    skippedFromCheckpoint: skipped,
    interrupted,
    rejectsFile: counts.rejected > 0 ? rejectsPath : undefined,
    checkpointFile: interrupted && !dryRun ? checkpointPath : undefined,
    startedAt,
    durationMs,
    rowsPerSecond: decidedThisRun / Math.max(0.001, durationMs / 1000),
  };
}

/** Counts rejects by reason; past a few hundred distinct reasons (byte counts differ), new ones go uncounted. */
class ReasonTally {
  static readonly #MAX_REASONS = 500;
  readonly #rows = new Map<string, number>();

  add(reason: string): void {
    const rows = this.#rows.get(reason);
    if (rows !== undefined) this.#rows.set(reason, rows + 1);
    else if (this.#rows.size < ReasonTally.#MAX_REASONS) this.#rows.set(reason, 1);
  }

  commonest(count: number): { reason: string; rows: number }[] {
    return [...this.#rows]
      .sort(([, a], [, b]) => b - a)
      .slice(0, count)
      .map(([reason, rows]) => ({ reason, rows }));
  }
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
    const why = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
    throw new QueueUnreachableError(`cannot reach the queue ${queueUrl} (${why})`);
  }
}
