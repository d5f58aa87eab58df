/**
 * The orders of a CSV file to check, as its import sent them: the last valid row of each order
 * (reusing the importer's reading, mapping and last-wins rule), with the row's version when the
 * import's receipt is known and the ledger's version of the order when there is a ledger.
 */

import { tieBreakOf, type Version } from "../../lambda/processor/version.ts";
import { openCsv } from "../csv-import/csv-rows.ts";
import { indexDuplicates } from "../csv-import/duplicates.ts";
import { createRowMapper } from "../csv-import/row-mapper.ts";
import type { Step } from "./types.ts";

/** Orders whose ledger versions are read in one call (DynamoDB's BatchGetItem limit). */
const CHUNK = 100;

export interface FileSourceOptions {
  file: string;
  /** The import's start (epoch ms): every row's `issuedAt`. Undefined: no receipt is known. */
  issuedAt?: number;
  /** The ledger's versions of up to 100 orders; undefined without a ledger. */
  appliedVersions?: (publicIds: string[]) => Promise<Map<string, Version>>;
  /** The first row index to check (a resumed run's position). */
  from: number;
}

/**
 * Data rows in the file, and its steps from `from` on.
 * @throws CsvFormatError as the importer's reader does
 */
export async function fileSteps(
  options: FileSourceOptions,
): Promise<{ rows: number; steps: AsyncGenerator<Step> }> {
  const duplicates = await indexDuplicates(options.file);
  return { rows: duplicates.rows, steps: readSteps(options, duplicates) };
}

async function* readSteps(
  options: FileSourceOptions,
  duplicates: Awaited<ReturnType<typeof indexDuplicates>>,
): AsyncGenerator<Step> {
  const csv = await openCsv(options.file);
  const mapper = createRowMapper(csv.header);
  let chunk: Step[] = [];
  for await (const row of csv.rows) {
    if (row.index < options.from) continue;
    const mapped = mapper.map(row.cells);
    const after = row.index + 1;
    if (!mapped.ok || duplicates.supersededBy(mapped.publicId, row.line) !== undefined) {
      chunk.push({ after });
    } else {
      const { publicId, metadata } = mapped;
      const version =
        options.issuedAt === undefined
          ? undefined
          : { issuedAt: options.issuedAt, tieBreak: tieBreakOf(metadata) };
      chunk.push({
        subject: {
          publicId,
          expected: { kind: "row", metadata, line: row.line, ...(version === undefined ? {} : { version }) },
        },
        after,
      });
    }
    if (chunk.length < CHUNK) continue;
    yield* await withLedgerVersions(chunk, options);
    chunk = [];
  }
  yield* await withLedgerVersions(chunk, options);
}

async function withLedgerVersions(chunk: Step[], options: FileSourceOptions): Promise<Step[]> {
  if (options.appliedVersions === undefined || options.issuedAt === undefined) return chunk;
  const ids = chunk.flatMap((step) => (step.subject === undefined ? [] : [step.subject.publicId]));
  if (ids.length === 0) return chunk;
  const versions = await options.appliedVersions(ids);
  for (const step of chunk) {
    const expected = step.subject?.expected;
    const ledgerVersion = versions.get(step.subject?.publicId ?? "");
    if (expected?.kind === "row" && ledgerVersion !== undefined) expected.ledgerVersion = ledgerVersion;
  }
  return chunk;
}
