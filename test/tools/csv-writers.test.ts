/**
 * Every CSV the project writes is read in a spreadsheet, so none of its cells may run as a formula
 * (CSV injection, OWASP): a cell beginning with =, +, -, @, a tab or a carriage return is written with
 * a single quote before it, and quoted. One helper does it (lib/tools/csv-cell.ts); each writer is
 * held to it here, and no other module of lib/ quotes CSV cells on its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../../lib/tools/csv-cell.ts";
import { RejectsFile } from "../../lib/tools/csv-import/rejects-file.ts";
import { ReportFile } from "../../lib/tools/verify/report-file.ts";
import { ReportStatus } from "../../lib/tools/verify/types.ts";
import { type TempDir, tempDir } from "./csv-import/support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

/** Cells a spreadsheet would run, the issue's own first. */
const DANGEROUS = [
  '=HYPERLINK("http://evil.example","x")',
  "+1+1",
  "-2+3",
  "@SUM(A1:A2)",
  "\t=1+1",
  "\r=1+1",
  "-O0000001",
];
/** How a spreadsheet tells a formula: the cell's first character. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The cells of a CSV text, as a spreadsheet (or any RFC 4180 reader) reads them. */
const cellsOf = (text: string) => (parse(text, { relax_column_count: true }) as string[][]).flat();

describe("csvCell", () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ["+1", `"'+1"`],
    ["-O1", `"'-O1"`],
    ["@x", `"'@x"`],
    ["\t=1", `"'\t=1"`],
    ["\r=1", `"'\r=1"`],
    ["O1", "O1"],
    ["a-b", "a-b"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["x;=1+1", '"x;=1+1"'],
    ["a\tb", '"a\tb"'],
    [" O1", '" O1"'],
    ["two\nlines", '"two\nlines"'],
    ["", ""],
  ])("writes %j as %s", (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  it("reads back as the value behind a single quote, in one cell, never as a formula", () => {
    const text = csvLine(DANGEROUS);
    expect(cellsOf(text)).toStrictEqual(DANGEROUS.map((value) => `'${value}`));
  });
});

describe("each CSV writer of the project", () => {
  const writers: Array<[string, (path: string, cell: string) => void]> = [
    [
      "the import's rejects file",
      (path, cell) => {
        const rejects = new RejectsFile(path);
        rejects.add(7, cell, cell);
        rejects.close();
      },
    ],
    [
      "verify's report",
      (path, cell) => {
        const report = new ReportFile(path);
        report.append({
          publicId: cell,
          status: ReportStatus.drift,
          keys: [cell, "-b"],
          shouldHaveWon: cell,
        });
        report.close();
      },
    ],
  ];

  it.each(writers)("%s writes no cell a spreadsheet would run", (_, write) => {
    dir = tempDir();
    for (const [i, cell] of DANGEROUS.entries()) {
      // Prepare
      const path = join(dir.path, `out-${i}.csv`);

      // Act
      write(path, cell);

      // Assess
      const cells = cellsOf(readFileSync(path, "utf8"));
      expect(
        cells.filter((read) => FORMULA_START.test(read)),
        JSON.stringify(cell),
      ).toStrictEqual([]);
      expect(cells, JSON.stringify(cell)).toContain(`'${cell}`);
    }
  });

  it("is every module of lib/ that quotes CSV cells: the others go through csv-cell.ts", () => {
    const root = join(import.meta.dirname, "../../lib");
    const quoting = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => readFileSync(join(root, file), "utf8").includes(`'""'`))
      .map((file) => relative(root, join(root, file)));
    expect(quoting).toStrictEqual(["tools/csv-cell.ts"]);
  });
});
