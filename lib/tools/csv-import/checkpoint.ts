/**
 * The checkpoint of an import, so that an interrupted one continues where it stopped without
 * sending acknowledged rows again. Batches complete out of order, so it holds a low-water mark (every
 * row below `nextRow` is done) plus the few rows above it that are done too. It also holds the
 * import's start time, so that the `issuedAt` of each row stays the same on resume, and the length
 * of the rejects file at that point, so that rows rejected again on resume are not listed twice.
 */
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { z } from "zod";
import { CheckpointError } from "./errors.ts";

const countsSchema = z.strictObject({
  queued: z.number().int().min(0),
  rejected: z.number().int().min(0),
  superseded: z.number().int().min(0),
});
export type DoneCounts = z.infer<typeof countsSchema>;

const checkpointSchema = z.strictObject({
  version: z.literal(2),
  /** The import's id (`spot-meta import-status`): a resumed import keeps it. */
  importId: z.string(),
  file: z.strictObject({ name: z.string(), bytes: z.number().int().min(0), sha256: z.string() }),
  queueUrl: z.string().optional(),
  startedAt: z.iso.datetime(),
  nextRow: z.number().int().min(0),
  doneAbove: z.array(z.number().int().min(0)),
  counts: countsSchema,
  /** The rejects file's length when the checkpoint was written: what lies past it is redone on resume. */
  rejectsBytes: z.number().int().min(0),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type FileFingerprint = Checkpoint["file"];

export function checkpointPathFor(csvPath: string): string {
  return `${csvPath}.checkpoint.json`;
}

/**
 * The file's content: a file edited since the checkpoint is not resumed, while one only copied or
 * touched (a new modification time, the same rows) is.
 */
export async function fingerprint(csvPath: string): Promise<FileFingerprint> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(csvPath)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { name: basename(csvPath), bytes, sha256: hash.digest("hex") };
}

/**
 * @returns the checkpoint, or undefined when there is none
 * @throws CheckpointError when the file is not a checkpoint this version wrote
 */
export function readCheckpoint(path: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckpointError(`${path} is not valid JSON; delete it to start the import over`);
  }
  const parsed = checkpointSchema.safeParse(value);
  if (!parsed.success)
    throw new CheckpointError(`${path} is not a checkpoint of this version; delete it to start over`);
  return parsed.data;
}

/** Written to a temporary file and renamed, so a crash mid-write leaves the previous checkpoint. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`);
  renameSync(temporary, path);
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
}

/** Tracks which rows are done (acknowledged, rejected or superseded) as a low-water mark. */
export class Watermark {
  #next: number;
  readonly #doneAbove: Set<number>;

  constructor(nextRow = 0, doneAbove: Iterable<number> = []) {
    this.#next = nextRow;
    this.#doneAbove = new Set(doneAbove);
  }

  isDone(row: number): boolean {
    return row < this.#next || this.#doneAbove.has(row);
  }

  markDone(row: number): void {
    if (row < this.#next) return;
    if (row !== this.#next) {
      this.#doneAbove.add(row);
      return;
    }
    this.#next++;
    while (this.#doneAbove.delete(this.#next)) this.#next++;
  }

  get nextRow(): number {
    return this.#next;
  }

  get doneAbove(): number[] {
    return [...this.#doneAbove].sort((a, b) => a - b);
  }
}
