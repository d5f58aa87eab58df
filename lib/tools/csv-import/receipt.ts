/**
 * An import's receipt: its id, the file (by path and content) and its start time, which is every
 * row's `issuedAt`. Written before the first row is sent, under `.spot-meta/imports/`, so that
 * `spot-meta import-status` can follow the import by its id or its file, during the import and after.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as z from "zod";
import { CheckpointError } from "./errors.ts";

/** Relative to the working directory, next to the dev stack's state; git-ignored. */
export const RECEIPTS_DIRECTORY = ".spot-meta/imports";

const receiptSchema = z.strictObject({
  id: z.string(),
  /** The file's absolute path when it was imported. */
  file: z.string(),
  sha256: z.string(),
  startedAt: z.iso.datetime(),
  queueUrl: z.string(),
});
export type ImportReceipt = z.infer<typeof receiptSchema>;

/** `imp-20261129T183012Z-a1b2`: when it started, and four hex digits for two imports in one second. */
export function newImportId(startedAt: string): string {
  const compact = startedAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `imp-${compact}-${randomBytes(2).toString("hex")}`;
}

/** The id an import put on a message's `source` attribute (`csv:orders.csv:42@imp-…`), if any. */
export function importIdOfSource(source: string | undefined): string | undefined {
  return source?.match(/@(imp-[0-9TZ]+-[0-9a-f]{4})$/)?.[1];
}

/** The `source` attribute of one row's message. */
export function rowSource(fileName: string, line: number, importId: string): string {
  return `csv:${fileName}:${line}@${importId}`;
}

export function writeReceipt(receipt: ImportReceipt, directory: string): void {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${receipt.id}.json`);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(receipt, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * The receipt of an import named by its id, or of the latest import of a file.
 * @throws CheckpointError when there is none
 */
export function findReceipt(idOrFile: string, directory = RECEIPTS_DIRECTORY): ImportReceipt {
  const receipts = readReceipts(directory);
  const byId = receipts.find((receipt) => receipt.id === idOrFile);
  if (byId !== undefined) return byId;
  const file = resolve(idOrFile);
  const latest = receipts
    .filter((receipt) => receipt.file === file)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (latest !== undefined) return latest;
  throw new CheckpointError(
    `no import of ${idOrFile} is known here (receipts are in ${resolve(directory)}, written by spot-meta import run from this directory)`,
  );
}

function readReceipts(directory: string): ImportReceipt[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const parsed = receiptSchema.safeParse(JSON.parse(readFileSync(join(directory, name), "utf8")));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}
