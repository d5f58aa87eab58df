/**
 * A file only its owner can read, written to a new file and renamed into place: whatever was at
 * the path before (a world-readable file, an older export) keeps neither its mode nor, until the
 * new content is complete and synced, loses its own. Exports hold metadata values, which can be
 * health information.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export class OwnerOnlyFile {
  readonly path: string;
  readonly #temporary: string;
  readonly #fd: number;
  #written = 0;
  #closed = false;

  /**
   * Creates the new file, readable and writable by its owner only, beside `path`.
   * @throws the file system's error (no such directory, no permission)
   */
  constructor(path: string) {
    this.path = path;
    this.#temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    // "wx": a file of this name that already exists (a link planted there) is an error, not reused.
    this.#fd = openSync(this.#temporary, "wx", 0o600);
  }

  /** Lines written so far. */
  get written(): number {
    return this.#written;
  }

  /**
   * Appends the lines and syncs them to disk, so a purge after this cannot outrun its record.
   * @throws the file system's error
   */
  append(lines: readonly string[]): void {
    for (const line of lines) writeSync(this.#fd, `${line}\n`);
    fsyncSync(this.#fd);
    this.#written += lines.length;
  }

  /**
   * Puts the file at its path, replacing what was there, and syncs the directory so the rename
   * survives a crash.
   * @throws the file system's error (the temporary file is removed then)
   */
  commit(): void {
    this.#close();
    try {
      renameSync(this.#temporary, this.path);
    } catch (error) {
      rmSync(this.#temporary, { force: true });
      throw error;
    }
    const directory = openSync(dirname(this.path), "r");
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  }

  /** Removes the new file; what was at the path stays as it was. */
  discard(): void {
    this.#close();
    rmSync(this.#temporary, { force: true });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}
