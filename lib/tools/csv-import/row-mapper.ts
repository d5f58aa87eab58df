/**
 * Turns a CSV row into an update. Two layouts, told apart by the header:
 * - `public_id,metadata`: the metadata column holds a JSON object;
 * - `public_id,<key>,<key>…`: one column per metadata key, each non-empty cell a string value.
 * Header names are matched case-insensitively after trimming; columns with an empty header are
 * ignored as long as their cells are empty (spreadsheets leave trailing empty columns).
 */
import { type Metadata, validateUpdate } from "../../lambda/contract.ts";
import { REPORT_COLUMNS } from "../verify/report-file.ts";
import { CsvFormatError } from "./errors.ts";
import { REJECTS_COLUMNS } from "./rejects-file.ts";

export const LAYOUTS = { jsonColumn: "json-column", keyColumns: "key-columns" } as const;
type Layout = (typeof LAYOUTS)[keyof typeof LAYOUTS];

type MappedRow =
  | { ok: true; publicId: string; metadata: Metadata }
  | { ok: false; publicId: string; reason: string };

export interface RowMapper {
  layout: Layout;
  /** Index of the `public_id` column. */
  idColumn: number;
  /** The row's public_id cell as it is ("" when absent): spaces around it make the row a reject, as on the queue. */
  publicIdOf(cells: string[]): string;
  /** The row as an update checked against the contract, or why not (never echoing a metadata value). */
  map(cells: string[]): MappedRow;
}

/**
 * The CSV files the tools write, which name orders but hold no metadata: imported, each row's other
 * cells would become the order's metadata (`{"line": "4", "reason": "…"}`), replacing what it holds.
 */
const OWN_OUTPUTS = [
  {
    columns: REJECTS_COLUMNS,
    what: "the rejects file of an import",
    instead: "fix those rows in the file you imported (its line column finds them) and import that",
  },
  {
    columns: REPORT_COLUMNS,
    what: "a report of spot-meta verify",
    instead: "import the drifted orders' rows from the file they came from",
  },
];

/**
 * Reads the header and returns the mapper for its layout.
 * @throws CsvFormatError when there is no `public_id` column, a column name appears twice, or the
 *   file is one the tools wrote (a rejects file, a verify report), which holds no metadata
 */
export function createRowMapper(header: string[]): RowMapper {
  const names = header.map((name) => name.trim());
  const lower = names.map((name) => name.toLowerCase());
  const own = OWN_OUTPUTS.find(({ columns }) => columns.join(",") === lower.join(","));
  if (own !== undefined)
    throw new CsvFormatError(
      `this is ${own.what} (columns ${own.columns.join(",")}): it holds no metadata, and importing it would replace each order's metadata with its other columns; ${own.instead}`,
    );
  const idColumn = lower.indexOf("public_id");
  if (idColumn === -1) {
    const found = names.filter((name) => name !== "");
    throw new CsvFormatError(
      `no public_id column in the header; found ${found.length === 0 ? "no named columns" : found.map((n) => JSON.stringify(n)).join(", ")}`,
    );
  }
  const seen = new Set<string>();
  for (const name of lower) {
    if (name !== "" && seen.has(name))
      throw new CsvFormatError(`the header names the column "${name}" twice`);
    seen.add(name);
  }
  const metadataColumn = lower.indexOf("metadata");
  const layout = metadataColumn === -1 ? LAYOUTS.keyColumns : LAYOUTS.jsonColumn;
  if (layout === LAYOUTS.jsonColumn) {
    const extra = names.filter((name, i) => name !== "" && i !== idColumn && i !== metadataColumn);
    if (extra.length > 0) {
      throw new CsvFormatError(
        `a metadata column holds the whole JSON object, so other columns would be ignored: remove ${extra.map((n) => JSON.stringify(n)).join(", ")} or the metadata column`,
      );
    }
  }
  const publicIdOf = (cells: string[]) => cells[idColumn] ?? "";
  const map = (cells: string[]): MappedRow => {
    const publicId = publicIdOf(cells);
    const stray = cells.findIndex((cell, i) => cell.trim() !== "" && (names[i] ?? "") === "");
    if (stray !== -1)
      return { ok: false, publicId, reason: `a value in column ${stray + 1}, which has no header` };
    let metadata: unknown;
    if (layout === LAYOUTS.jsonColumn) {
      const parsed = parseJsonCell(cells[metadataColumn] ?? "");
      if (!parsed.ok) return { ok: false, publicId, reason: parsed.reason };
      metadata = parsed.value;
    } else {
      const entries: [string, string][] = [];
      for (let i = 0; i < names.length; i++) {
        const cell = cells[i] ?? "";
        if (i !== idColumn && cell !== "" && names[i] !== "") entries.push([names[i] as string, cell]);
      }
      // fromEntries keeps a "__proto__" header as a key, so the contract can refuse it by name.
      metadata = Object.fromEntries(entries);
    }
    const checked = validateUpdate({ publicId, metadata });
    if (!checked.ok) return { ok: false, publicId, reason: checked.reason };
    return { ok: true, publicId, metadata: checked.message.metadata };
  };
  return { layout, idColumn, publicIdOf, map };
}

function parseJsonCell(cell: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (cell.trim() === "")
    return { ok: false, reason: "metadata: the cell is empty (write {} to clear an order's metadata)" };
  try {
    return { ok: true, value: JSON.parse(cell) };
  } catch {
    // JSON.parse's message quotes the cell, which may hold health information.
    return { ok: false, reason: `metadata: the cell is not valid JSON (${Buffer.byteLength(cell)} bytes)` };
  }
}
