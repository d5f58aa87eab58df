/**
 * The drift report: a CSV only its owner can read (it names orders and metadata keys), appended to
 * as orders are checked. A resumed run cuts it back to what its checkpoint counted, so a row
 * written after the last checkpoint is not written twice.
 */
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { csvLine } from "../csv-cell.ts";
import type { ReportStatus } from "./types.ts";

/** The report's columns: `createRowMapper` refuses a file with this header (it holds no metadata). */
export const REPORT_COLUMNS = ["public_id", "status", "keys", "should_have_won"] as const;

export interface ReportRow {
  publicId: string;
  status: ReportStatus;
  keys: string[];
  shouldHaveWon: string;
}

export class ReportFile {
  readonly path: string;
  readonly #fd: number;
  #bytes: number;

  /**
   * A new report (whatever was at the path is removed first, so it keeps neither its mode nor a
   * link), or, with `resumeAt`, the report of an interrupted run cut back to that many bytes.
   * @throws the file system's error
   */
  constructor(path: string, resumeAt?: number) {
    this.path = path;
    if (resumeAt === undefined) {
      mkdirSync(dirname(path), { recursive: true });
      rmSync(path, { force: true });
      this.#fd = openSync(path, "wx", 0o600);
      this.#bytes = 0;
      this.#write(csvLine(REPORT_COLUMNS));
    } else {
      this.#fd = openSync(path, "r+");
      fchmodSync(this.#fd, 0o600);
      ftruncateSync(this.#fd, resumeAt);
      this.#bytes = resumeAt;
    }
  }

  /** Bytes written so far: a checkpoint's mark. */
  get bytes(): number {
    return this.#bytes;
  }

  append(row: ReportRow): void {
    // Through csvLine, like every CSV the project writes: a keys cell "+a -b" would be a formula.
    this.#write(csvLine([row.publicId, row.status, row.keys.join(" "), row.shouldHaveWon]));
  }

  /** Flushes to disk, before a checkpoint names the size. */
  sync(): void {
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
  }

  #write(text: string): void {
    const buffer = Buffer.from(text);
    writeSync(this.#fd, buffer, 0, buffer.length, this.#bytes);
    this.#bytes += buffer.length;
  }
}
