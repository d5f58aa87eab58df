/**
 * The rejects file: one CSV line per row that was not sent (`line,public_id,reason`), so the
 * operator can find, fix and re-import those rows. Opened on the first reject only; written
 * synchronously so that what the checkpoint counts as done is on disk too.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from "node:fs";

const HEADER = "line,public_id,reason\n";
/** An id this long is garbage; the line number is what finds the row. */
const MAX_ID_CHARS = 100;

export class RejectsFile {
  readonly path: string;
  readonly #append: boolean;
  #fd: number | undefined;

  /** @param options.append keep what an earlier run of the same import wrote (resume) */
  constructor(path: string, options: { append: boolean }) {
    this.path = path;
    this.#append = options.append;
    if (!options.append) rmSync(path, { force: true });
  }

  add(line: number, publicId: string, reason: string): void {
    if (this.#fd === undefined) {
      const hasHeader = this.#append && existsSync(this.path) && statSync(this.path).size > 0;
      this.#fd = openSync(this.path, this.#append ? "a" : "w");
      if (!hasHeader) writeSync(this.#fd, HEADER);
    }
    const id = publicId.length > MAX_ID_CHARS ? `${publicId.slice(0, MAX_ID_CHARS)}…` : publicId;
    writeSync(this.#fd, `${line},${csvField(id)},${csvField(reason)}\n`);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Quotes a field when it holds a separator, a quote, a line break or edge spaces. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
