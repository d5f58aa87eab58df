/**
 * Reads a CSV file as a stream of rows that know their line number in the file, so that every
 * reason given to an operator points at a line they can find. Memory stays flat: one record at a
 * time, whatever the file's size.
 */
import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import { CsvFormatError } from "./errors.ts";

/** One data row: its position among the data rows (0-based), its first line in the file, its cells. */
export interface CsvRow {
  index: number;
  line: number;
  cells: string[];
}

export interface CsvFile {
  header: string[];
  headerLine: number;
  rows: AsyncGenerator<CsvRow>;
}

/**
 * Opens a CSV file: UTF-8 with or without BOM, LF or CRLF, quoted fields holding separators,
 * quotes and line breaks. Blank lines (and lines of empty cells) are skipped and get no index.
 * @throws CsvFormatError when the file has no header, or when a record is malformed (the line is named)
 */
export async function openCsv(path: string): Promise<CsvFile> {
  // One generator yields the header and then the rows: each layer of async iteration costs a
  // promise and a result object per row, which at a million rows is most of what the reader allocates.
  const records = readRecords(path);
  const first = await records.next();
  if (first.done) throw new CsvFormatError(`${path} holds no header row`);
  return { header: first.value.cells, headerLine: first.value.line, rows: records };
}

/** Parsed records of the file, numbered from -1: the header is -1, the first data row 0. */
async function* readRecords(path: string): AsyncGenerator<CsvRow> {
  const file = createReadStream(path);
  const parser = file.pipe(
    parse({ bom: true, raw: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }),
  );
  // pipe() does not pass a read error on (a file removed or unreadable): end the parser with it.
  file.on("error", (error) => parser.destroy(error));
  // Records are taken with read() while the parser has them buffered, and only an empty buffer
  // waits: for-await over the stream would add a promise per record (see openCsv).
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => wake?.();
  parser.on("readable", signal);
  parser.on("end", () => {
    ended = true;
    signal();
  });
  parser.on("error", (error) => {
    failure = error;
    signal();
  });
  // csv-parse's own line count is off for quoted CRLF line breaks, so lines are counted from the raw text.
  let linesBefore = 0;
  let index = -1;
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const next = parser.read() as { record: string[]; raw: string } | null;
      if (next === null) {
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const { record, raw } = next;
      const line = linesBefore + countLeadingBreaks(raw) + 1;
      linesBefore += countBreaks(raw);
      if (record.every((cell) => cell.trim() === "")) continue;
      yield { index: index++, line, cells: record };
    }
  } catch (error) {
    if (error instanceof Error && "code" in error && String(error.code).startsWith("CSV_")) {
      const at = "lines" in error ? ` near line ${String(error.lines)}` : "";
      throw new CsvFormatError(`${path} is not valid CSV${at}: ${String(error.code)}`);
    }
    throw error;
  } finally {
    parser.destroy();
  }
}

/** Line breaks in a text: CRLF, a lone CR and a lone LF each count once. */
export function countBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}

function countLeadingBreaks(text: string): number {
  let end = 0;
  while (end < text.length && (text.charCodeAt(end) === 10 || text.charCodeAt(end) === 13)) end++;
  return countBreaks(text.slice(0, end));
}
