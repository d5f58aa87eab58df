/**
 * Finds, before anything is sent, which valid rows a later valid row for the same order supersedes:
 * only the last valid row for an order is sent. A row the import rejects supersedes nothing, so a bad
 * later row never costs an earlier good one. Memory stays small for millions of distinct ids: the
 * first pass keeps a 32-bit hash per row (4 bytes a row, not a Map entry of ~100 bytes), sorting them
 * shows which hashes occur more than once, and only the rows behind those (true duplicates, plus rare
 * hash collisions) are checked and resolved exactly, by id, in a second pass.
 */
import { fnv1a } from "../../lambda/fnv1a.ts";
import { openCsv } from "./csv-rows.ts";
import { createRowMapper } from "./row-mapper.ts";

export interface DuplicateIndex {
  /** Data rows in the file. */
  rows: number;
  /**
   * For a valid row: the line of the order's last valid row when that is a later one, else undefined.
   * Ask only for rows that map to an update; a rejected row is rejected, never superseded.
   */
  supersededBy(publicId: string, line: number): number | undefined;
}

/**
 * Reads the file once (twice when it has duplicates or hash collisions).
 * @throws CsvFormatError as {@link openCsv} and {@link createRowMapper} do
 */
export async function indexDuplicates(path: string): Promise<DuplicateIndex> {
  const hashes = new GrowableUint32Array();
  let rows = 0;
  {
    const csv = await openCsv(path);
    const mapper = createRowMapper(csv.header);
    for await (const row of csv.rows) {
      rows++;
      const id = mapper.publicIdOf(row.cells);
      // Rows without an id are rejected anyway; they take part in no duplicate.
      if (id !== "") hashes.push(fnv1a(id));
    }
  }
  const candidates = repeatedValues(hashes.sorted());
  if (candidates.size === 0) return { rows, supersededBy: () => undefined };

  const lastLine = new Map<string, number>();
  const csv = await openCsv(path);
  const mapper = createRowMapper(csv.header);
  for await (const row of csv.rows) {
    const id = mapper.publicIdOf(row.cells);
    // Only rows behind a repeated hash are mapped here: checking every row twice would slow the import.
    if (id !== "" && candidates.has(fnv1a(id)) && mapper.map(row.cells).ok) lastLine.set(id, row.line);
  }
  return {
    rows,
    supersededBy(publicId, line) {
      const last = lastLine.get(publicId);
      return last !== undefined && last !== line ? last : undefined;
    },
  };
}

function repeatedValues(sorted: Uint32Array): Set<number> {
  const repeated = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i] as number);
  return repeated;
}

class GrowableUint32Array {
  #values = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.#values.length) {
      const bigger = new Uint32Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.length++] = value;
  }

  sorted(): Uint32Array {
    return this.#values.subarray(0, this.length).sort();
  }
}
