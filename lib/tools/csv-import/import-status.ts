/**
 * Where an import's rows are now: read from what the system already keeps. The file gives each
 * row's update (its version is the import's start and its metadata's tie-break); the ledger gives
 * the version each order holds at Spot; the DLQ gives the import's dead-lettered messages (by the
 * import id on their `source`); the checkpoint, while the import is unfinished, the rows not yet
 * queued. Memory stays flat: the file is read as a stream, the ledger in batches of 100 orders.
 */
import pLimit from "p-limit";
import { compareVersions, tieBreakOf, type Version } from "../../lambda/processor/version.ts";
import { checkpointPathFor, fingerprint, readCheckpoint, Watermark } from "./checkpoint.ts";
import { openCsv } from "./csv-rows.ts";
import { indexDuplicates } from "./duplicates.ts";
import { CheckpointError } from "./errors.ts";
import type { ImportReceipt } from "./receipt.ts";
import { createRowMapper } from "./row-mapper.ts";

/** What became of a row. */
export const RowFate = {
  /** Spot holds this row's update. */
  applied: "applied",
  /** Spot holds a newer update of the order (from another producer, or a later import). */
  overtaken: "overtaken",
  /** In the DLQ (and not overtaken since). */
  deadLettered: "deadLettered",
  /** Queued, not yet applied nor dead-lettered. */
  onTheWay: "onTheWay",
  /** Queued, and there is no ledger to tell whether it was applied. */
  queued: "queued",
  /** Not queued yet: the import stopped before it (`spot-meta import --resume`). */
  notQueued: "notQueued",
  /** Refused by the import (the rejects file says why). */
  rejected: "rejected",
  /** Not sent: a later row of the file is for the same order. */
  supersededInFile: "supersededInFile",
} as const;
export type RowFate = (typeof RowFate)[keyof typeof RowFate];

export interface ImportStatus {
  importId: string;
  file: string;
  startedAt: string;
  rows: number;
  counts: Record<RowFate, number>;
  /** The first dead-lettered rows, with the DLQ's reason. */
  deadLettered: { line: number; publicId: string; reason: string }[];
  /** Whether every row has reached an end: nothing on the way, nothing left to queue. */
  settled: boolean;
}

export interface StatusSources {
  /** The versions the ledger holds, for up to 100 orders; undefined: there is no ledger. */
  appliedVersions: ((publicIds: string[]) => Promise<Map<string, Version>>) | undefined;
  /** The import's orders in the DLQ, with the reason of each (the newest message's). */
  deadLetters: Map<string, string>;
  /**
   * Rows found applied or overtaken by an earlier look (a byte a row, by row index), which this look
   * does not read again: `--watch` pays the ledger's reads for each row about once.
   */
  reached?: ReachedRows;
}

/** Per row index: 0 not known to have reached Spot, else 1 + the index of its fate in {@link REACHED}. */
export type ReachedRows = { fates: Uint8Array };

const REACHED: readonly RowFate[] = [RowFate.applied, RowFate.overtaken];

const DEAD_LETTER_EXAMPLES = 20;
const LEDGER_READS_IN_FLIGHT = 8;
const KEYS_PER_READ = 100;

interface SentRow {
  index: number;
  line: number;
  publicId: string;
  version: Version;
}

/**
 * Tells the fate of each row of the receipt's file.
 * @throws CheckpointError when the file is gone or its content changed since the import
 */
export async function importStatus(receipt: ImportReceipt, sources: StatusSources): Promise<ImportStatus> {
  await checkUnchanged(receipt);
  const unfinished = unfinishedRows(receipt);
  const duplicates = await indexDuplicates(receipt.file);
  const tally = new StatusTally(sources, duplicates.rows);
  const issuedAt = Date.parse(receipt.startedAt);
  const csv = await openCsv(receipt.file);
  const mapper = createRowMapper(csv.header);
  for await (const row of csv.rows) {
    const publicId = mapper.publicIdOf(row.cells);
    const mapped = mapper.map(row.cells);
    // As the import decided: a rejected row is rejected, and only valid rows supersede one another.
    if (!mapped.ok) tally.count(RowFate.rejected);
    else if (duplicates.supersededBy(publicId, row.line) !== undefined) tally.count(RowFate.supersededInFile);
    else if (unfinished !== undefined && !unfinished.isDone(row.index)) tally.count(RowFate.notQueued);
    else {
      const version = { issuedAt, tieBreak: tieBreakOf(mapped.metadata) };
      await tally.sent({ index: row.index, line: row.line, publicId, version });
    }
  }
  await tally.finish();
  return {
    importId: receipt.id,
    file: receipt.file,
    startedAt: receipt.startedAt,
    rows: duplicates.rows,
    counts: tally.counts,
    deadLettered: tally.deadLettered.sort((a, b) => a.line - b.line),
    settled: tally.counts.onTheWay === 0 && tally.counts.notQueued === 0,
  };
}

/** @throws CheckpointError when the file is gone or its content is not the import's any more */
async function checkUnchanged(receipt: ImportReceipt): Promise<void> {
  let content: Awaited<ReturnType<typeof fingerprint>>;
  try {
    content = await fingerprint(receipt.file);
  } catch {
    throw new CheckpointError(`${receipt.file} is gone: its rows are what the status is checked against`);
  }
  if (content.sha256 !== receipt.sha256)
    throw new CheckpointError(
      `${receipt.file} changed since import ${receipt.id}: its rows are no longer the import's`,
    );
}

/**
 * The rows' fates as they are decided: the rows sent are read from the ledger 100 a call, a few
 * calls at a time, with a few chunks waiting at most (flat memory, whatever the file's size).
 */
class StatusTally {
  readonly counts = Object.fromEntries(Object.values(RowFate).map((fate) => [fate, 0])) as Record<
    RowFate,
    number
  >;
  readonly deadLettered: ImportStatus["deadLettered"] = [];
  readonly #sources: StatusSources;
  readonly #limit = pLimit(LEDGER_READS_IN_FLIGHT);
  readonly #inFlight = new Set<Promise<void>>();
  #chunk: SentRow[] = [];
  #failure: unknown;

  constructor(sources: StatusSources, rows: number) {
    this.#sources = sources;
    const reached = sources.reached;
    if (reached !== undefined && reached.fates.length !== rows) reached.fates = new Uint8Array(rows);
  }

  count(fate: RowFate): void {
    this.counts[fate]++;
  }

  /** A row the import sent: known from an earlier look to have reached Spot, or to be read. */
  async sent(row: SentRow): Promise<void> {
    const known = REACHED[(this.#sources.reached?.fates[row.index] ?? 0) - 1];
    if (known !== undefined) return this.count(known);
    this.#chunk.push(row);
    if (this.#chunk.length < KEYS_PER_READ) return;
    this.#read(this.#chunk);
    this.#chunk = [];
    while (this.#inFlight.size > 2 * LEDGER_READS_IN_FLIGHT) await Promise.race(this.#inFlight);
  }

  /** @throws what the ledger threw, if a read failed */
  async finish(): Promise<void> {
    if (this.#chunk.length > 0) this.#read(this.#chunk);
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
    if (this.#failure !== undefined) throw this.#failure;
  }

  #read(chunk: SentRow[]): void {
    const read = this.#limit(async () => {
      const applied = await this.#sources.appliedVersions?.(chunk.map((row) => row.publicId));
      for (const row of chunk) this.#decided(row, fateOf(row, applied, this.#sources.deadLetters));
    })
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => this.#inFlight.delete(read));
    this.#inFlight.add(read);
  }

  #decided(row: SentRow, fate: RowFate): void {
    this.count(fate);
    const reached = this.#sources.reached;
    if (reached !== undefined && REACHED.includes(fate)) reached.fates[row.index] = 1 + REACHED.indexOf(fate);
    if (fate === RowFate.deadLettered && this.deadLettered.length < DEAD_LETTER_EXAMPLES) {
      const reason = this.#sources.deadLetters.get(row.publicId) ?? "";
      this.deadLettered.push({ line: row.line, publicId: row.publicId, reason });
    }
  }
}

function fateOf(
  row: SentRow,
  applied: Map<string, Version> | undefined,
  deadLetters: Map<string, string>,
): RowFate {
  const held = applied?.get(row.publicId);
  if (held !== undefined) {
    const order = compareVersions(held, row.version);
    if (order === 0) return RowFate.applied;
    if (order > 0) return RowFate.overtaken;
  }
  if (deadLetters.has(row.publicId)) return RowFate.deadLettered;
  return applied === undefined ? RowFate.queued : RowFate.onTheWay;
}

/** The rows an unfinished run of this import has done, when its checkpoint is still there. */
function unfinishedRows(receipt: ImportReceipt): Watermark | undefined {
  const checkpoint = readCheckpoint(checkpointPathFor(receipt.file));
  if (checkpoint === undefined || checkpoint.importId !== receipt.id) return undefined;
  return new Watermark(checkpoint.nextRow, checkpoint.doneAbove);
}
