/**
 * The rejects file: one CSV line per row that was not sent (`line,public_id,reason`), so the
 * operator can find, fix and re-import those rows. Opened on the first reject only; written
 * synchronously so that what the checkpoint counts as done is on disk too.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { csvLine } from "../csv-cell.ts";

/** The rejects file's columns: `createRowMapper` refuses a file with this header (it holds no metadata). */
export const REJECTS_COLUMNS = ["line", "public_id", "reason"] as const;
/** An id this long is garbage; the line number is what finds the row. */
const MAX_ID_CHARS = 100;

export class RejectsFile {
  readonly path: string;
  #fd: number | undefined;
  /** The file's length: what a checkpoint records. */
  #bytes: number;

  /**
   * @param options.resumeAt keep what an earlier run of the same import wrote up to this length (its
   *   checkpoint's), and drop what it wrote after: those rows are decided again
   */
  constructor(path: string, options: { resumeAt?: number } = {}) {
    this.path = path;
    const kept =
      options.resumeAt === undefined || !existsSync(path)
        ? 0
        : Math.min(options.resumeAt, statSync(path).size);
    if (kept === 0) rmSync(path, { force: true });
    else truncateSync(path, kept);
    this.#bytes = kept;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(line: number, publicId: string, reason: string): void {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.path, "a");
      if (this.#bytes === 0) this.#write(csvLine(REJECTS_COLUMNS));
    }
    const id = publicId.length > MAX_ID_CHARS ? `${publicId.slice(0, MAX_ID_CHARS)}…` : publicId;
    this.#write(csvLine([String(line), id, reason]));
  }

  #write(text: string): void {
    this.#bytes += writeSync(this.#fd as number, text);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
