import { afterEach, describe, expect, it } from "vitest";
import { type CsvRow, countBreaks, openCsv } from "../../../lib/tools/csv-import/csv-rows.ts";
import { CsvFormatError } from "../../../lib/tools/csv-import/errors.ts";
import { type TempDir, tempDir } from "./support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

async function readAll(text: string): Promise<{ header: string[]; rows: CsvRow[] }> {
  dir = tempDir();
  const csv = await openCsv(dir.write("in.csv", text));
  const rows: CsvRow[] = [];
  for await (const row of csv.rows) rows.push(row);
  return { header: csv.header, rows };
}

describe("openCsv", () => {
  it("reads a BOM, CRLF, quoted commas, quotes and line breaks, with the file's line numbers", async () => {
    // Prepare
    const text =
      '\uFEFFpublic_id,note\r\nO1,"a, b"\r\n\r\nO2,"say ""hi"""\r\nO3,"two\r\nlines"\r\nO4,last\r\n';

    // Act
    const { header, rows } = await readAll(text);

    // Assess
    expect(header).toStrictEqual(["public_id", "note"]);
    expect(rows).toStrictEqual([
      { index: 0, line: 2, cells: ["O1", "a, b"] },
      { index: 1, line: 4, cells: ["O2", 'say "hi"'] },
      { index: 2, line: 5, cells: ["O3", "two\r\nlines"] },
      { index: 3, line: 7, cells: ["O4", "last"] },
    ]);
  });

  it("skips blank lines and lines of empty cells, keeps trailing empty columns, reads a last line without newline", async () => {
    // Prepare
    const text = 'public_id,note,,\n\n   \nO1,x,,\n,,,\nO2,"multi\nline",,\n\nO3,y';

    // Act
    const { rows } = await readAll(text);

    // Assess
    expect(rows).toStrictEqual([
      { index: 0, line: 4, cells: ["O1", "x", "", ""] },
      { index: 1, line: 6, cells: ["O2", "multi\nline", "", ""] },
      { index: 2, line: 9, cells: ["O3", "y"] },
    ]);
  });

  it("names the line of a record that is not valid CSV", async () => {
    // Prepare
    dir = tempDir();
    const csv = await openCsv(dir.write("bad.csv", 'public_id,note\nO1,ok\nO2,"never closed\nO3,x\n'));

    // Act
    const read = async () => {
      for await (const _ of csv.rows) {
        // drain
      }
    };

    // Assess
    const error: unknown = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsvFormatError);
    expect((error as Error).message).toMatch(
      /bad\.csv is not valid CSV near line \d+: CSV_QUOTE_NOT_CLOSED$/,
    );
  });

  it("fails with the read error when the file cannot be read, instead of waiting forever", async () => {
    // Prepare
    dir = tempDir();

    // Act
    const error: unknown = await openCsv(dir.path).catch((e: unknown) => e);

    // Assess
    expect((error as NodeJS.ErrnoException).code).toBe("EISDIR");
  });

  it("counts CRLF, lone CR and lone LF as one line break each", () => {
    expect(countBreaks("a\r\nb\nc\rd")).toBe(3);
    expect(countBreaks("")).toBe(0);
  });
});
