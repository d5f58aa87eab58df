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
  const records = readRecords(path);
  const first = await records.next();
  if (first.done) throw new CsvFormatError(`${path} holds no header row`);
  const header = first.value;
  async function* rows(): AsyncGenerator<CsvRow> {
    let index = 0;
    try {
      for await (const record of records) yield { index: index++, line: record.line, cells: record.cells };
    } finally {
      await records.return(undefined);
    }
  }
  return { header: header.cells, headerLine: header.line, rows: rows() };
}

interface RawRecord {
  line: number;
  cells: string[];
}

async function* readRecords(path: string): AsyncGenerator<RawRecord> {
  const parser = createReadStream(path).pipe(
    parse({ bom: true, raw: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }),
  );
  // csv-parse's own line count is off for quoted CRLF line breaks, so lines are counted from the raw text.
  let linesBefore = 0;
  try {
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      const leading = countLeadingBreaks(raw);
      const line = linesBefore + leading + 1;
      linesBefore += countBreaks(raw);
      if (record.every((cell) => cell.trim() === "")) continue;
      yield { line, cells: record };
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
