/** Temporary CSV files for tests, removed after each test. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  /** Writes a file into the directory and returns its path. */
  write(name: string, text: string): string;
  read(name: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), "spot-meta-import-"));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    read: (name) => readFileSync(join(path, name), "utf8"),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** A key-column CSV of `count` orders O0000001…, one row each. */
export function keyColumnCsv(count: number, start = 1): string {
  const lines = ["public_id,clinic,cohort"];
  for (let n = start; n < start + count; n++) lines.push(`${orderId(n)},clinic-${n % 7},c${n % 3}`);
  return `${lines.join("\n")}\n`;
}

export function orderId(n: number): string {
  return `O${String(n).padStart(7, "0")}`;
}
