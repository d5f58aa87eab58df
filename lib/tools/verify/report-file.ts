/**
 * The drift report: a CSV only its owner can read (it names orders and metadata keys), appended to
 * as orders are checked. A resumed run cuts it back to what its checkpoint counted, so a row
 * written after the last checkpoint is not written twice.
 */
import { closeSync, fchmodSync, fsyncSync, ftruncateSync, openSync, rmSync, writeSync } from "node:fs";
import type { ReportStatus } from "./types.ts";

const REPORT_HEADER = "public_id,status,keys,should_have_won";

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
      rmSync(path, { force: true });
      this.#fd = openSync(path, "wx", 0o600);
      this.#bytes = 0;
      this.#write(`${REPORT_HEADER}\n`);
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
    const cells = [row.publicId, row.status, row.keys.join(" "), row.shouldHaveWon];
    this.#write(`${cells.map(csvCell).join(",")}\n`);
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

/** RFC 4180: a cell holding a comma, a quote or a line break is quoted, its quotes doubled. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
