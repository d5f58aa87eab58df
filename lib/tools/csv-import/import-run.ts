/**
 * One run of an import, once its file and checkpoint are known: which rows it sends, what became of
 * each (queued, rejected, superseded by a later row, left for `--resume`), the checkpoint that
 * records it, and the summary. {@link importCsv} drives it; this holds the tally.
 */
import type { EnqueueResult, OutgoingUpdate } from "../producer.ts";
import { type Checkpoint, type DoneCounts, type FileFingerprint, Watermark } from "./checkpoint.ts";
import type { CsvFile } from "./csv-rows.ts";
import type { DuplicateIndex } from "./duplicates.ts";
import type { ProgressCounts } from "./progress.ts";
import { rowSource } from "./receipt.ts";
import { RejectsFile } from "./rejects-file.ts";
import type { RowMapper } from "./row-mapper.ts";
import type { ImportSummary, SupersededRow } from "./summary.ts";

const SUPERSEDED_EXAMPLES = 10;

export interface RowRef {
  index: number;
  line: number;
  publicId: string;
}

/** What the run starts from: the file read, the earlier run's checkpoint if resumed, the ids. */
export interface ImportPlan {
  file: string;
  fileName: string;
  dryRun: boolean;
  csv: CsvFile;
  mapper: RowMapper;
  duplicates: DuplicateIndex;
  earlier: Checkpoint | undefined;
  /** The file's content, for the checkpoint (absent in a dry run, which writes none). */
  content: FileFingerprint | undefined;
  queueUrl: string | undefined;
  importId: string;
  /** The import's start: every row's `issuedAt` (a resumed run keeps the first run's). */
  startedAt: string;
  rejectsPath: string;
  checkpointPath: string;
}

export class ImportRun {
  readonly #plan: ImportPlan;
  readonly #signal: AbortSignal | undefined;
  readonly #watermark: Watermark;
  readonly #counts: DoneCounts;
  readonly #rejects: RejectsFile;
  readonly #reasons = new ReasonTally();
  readonly #supersededExamples: SupersededRow[] = [];
  #read = 0;
  #skipped = 0;
  #notQueued = 0;
  #decided = 0;
  #reachedEnd = false;
  #stopSending = false;
  /** Why the queue stopped taking rows, when it did. */
  #queueFailure: string | undefined;

  constructor(plan: ImportPlan, signal?: AbortSignal) {
    this.#plan = plan;
    this.#signal = signal;
    const { earlier } = plan;
    this.#watermark = new Watermark(earlier?.nextRow, earlier?.doneAbove);
    this.#counts = { ...(earlier?.counts ?? { queued: 0, rejected: 0, superseded: 0 }) };
    this.#rejects = new RejectsFile(
      plan.rejectsPath,
      earlier === undefined ? {} : { resumeAt: earlier.rejectsBytes },
    );
  }

  /** The rows to send, deciding every other row (done before, superseded, rejected) as it reads. */
  async *rows(): AsyncGenerator<OutgoingUpdate<RowRef>> {
    const { csv, mapper, duplicates, dryRun, fileName, importId, startedAt } = this.#plan;
    for await (const row of csv.rows) {
      if (this.#signal?.aborted || this.#stopSending) return;
      this.#read++;
      if (this.#watermark.isDone(row.index)) {
        this.#skipped++;
        continue;
      }
      const publicId = mapper.publicIdOf(row.cells);
      const ref: RowRef = { index: row.index, line: row.line, publicId };
      // Checked before duplicates: only valid rows supersede one another.
      const mapped = mapper.map(row.cells);
      const supersededBy = mapped.ok ? duplicates.supersededBy(publicId, row.line) : undefined;
      if (!mapped.ok) this.#reject(ref, mapped.reason);
      else if (supersededBy !== undefined) this.#superseded(ref, supersededBy);
      else if (dryRun) this.#queued(ref);
      // The row mapper checked it against the contract (and gave a bad row its reason).
      else {
        const update = { publicId, metadata: mapped.metadata, issuedAt: startedAt };
        yield { update, source: rowSource(fileName, row.line, importId), ref, validated: true };
      }
    }
    this.#reachedEnd = true;
  }

  /** What SQS did with a row sent. */
  onResult(result: EnqueueResult, ref: RowRef | undefined): void {
    if (ref === undefined) return;
    if (result.ok) this.#queued(ref);
    else if (result.cause !== "unavailable") this.#reject(ref, result.reason);
    else {
      // The queue failed (retries used up, or a call refused as a whole: an expired token, access
      // denied, a deleted queue), not the row: stop here and leave the row for --resume.
      this.#notQueued++;
      this.#queueFailure ??= result.reason;
      this.#stopSending = true;
    }
  }

  get progress(): ProgressCounts {
    const { queued, rejected, superseded } = this.#counts;
    return { total: this.#plan.duplicates.rows, read: this.#read, queued, rejected, superseded };
  }

  /** Stopped before the end: by a signal, or by the queue failing. */
  get interrupted(): boolean {
    return !this.#reachedEnd || this.#notQueued > 0;
  }

  checkpoint(): Checkpoint {
    const { importId, content, queueUrl, startedAt } = this.#plan;
    return {
      version: 2,
      importId,
      file: content as FileFingerprint,
      queueUrl,
      startedAt,
      nextRow: this.#watermark.nextRow,
      doneAbove: this.#watermark.doneAbove,
      counts: { ...this.#counts },
      rejectsBytes: this.#rejects.bytes,
    };
  }

  close(): void {
    this.#rejects.close();
  }

  summary(durationMs: number): ImportSummary {
    const { file, dryRun, importId, queueUrl, earlier, duplicates, startedAt } = this.#plan;
    const interrupted = this.interrupted;
    return {
      file,
      importId: dryRun ? undefined : importId,
      queueUrl,
      dryRun,
      resumed: earlier !== undefined,
      rows: duplicates.rows,
      ...this.#counts,
      rejectReasons: this.#reasons.commonest(5),
      supersededExamples: this.#supersededExamples,
      notQueued: this.#notQueued,
      queueFailure: this.#queueFailure,
      skippedFromCheckpoint: this.#skipped,
      interrupted,
      rejectsFile: this.#counts.rejected > 0 ? this.#plan.rejectsPath : undefined,
      checkpointFile: interrupted && !dryRun ? this.#plan.checkpointPath : undefined,
      startedAt,
      durationMs,
      rowsPerSecond: this.#decided / Math.max(0.001, durationMs / 1000),
    };
  }

  #queued(ref: RowRef): void {
    this.#counts.queued++;
    this.#done(ref);
  }

  #reject(ref: RowRef, reason: string): void {
    this.#rejects.add(ref.line, ref.publicId, reason);
    this.#reasons.add(reason);
    this.#counts.rejected++;
    this.#done(ref);
  }

  #superseded(ref: RowRef, supersededBy: number): void {
    this.#counts.superseded++;
    if (this.#supersededExamples.length < SUPERSEDED_EXAMPLES)
      this.#supersededExamples.push({ line: ref.line, publicId: ref.publicId, supersededBy });
    this.#done(ref);
  }

  #done(ref: RowRef): void {
    this.#decided++;
    this.#watermark.markDone(ref.index);
  }
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
