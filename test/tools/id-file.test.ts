/** Files of order ids (`dlq --public-ids`, `verify --ids`): one reading for both. */
import { describe, expect, it } from "vitest";
import { csvCell } from "../../lib/tools/csv-cell.ts";
import { idLines, idOnLine } from "../../lib/tools/id-file.ts";

describe("idLines", () => {
  it("skips blank lines and # comments, trims ids, and keeps each id's line", () => {
    expect(idLines("# orders to check\n\nO1\r\n  O2  \n   # indented comment\n\t\nO3")).toStrictEqual([
      undefined,
      undefined,
      "O1",
      "O2",
      undefined,
      undefined,
      "O3",
    ]);
  });

  it("drops the guard quote a spreadsheet-safe CSV puts before an id beginning with '-'", () => {
    // Prepare: the id as the rejects file and verify's report write it, and as a spreadsheet shows it
    const written = csvCell("-O1");
    const shown = written.slice(1, -1);

    // Act, Assess
    expect(shown).toBe("'-O1");
    expect(idOnLine(shown)).toBe("-O1");
    expect(idOnLine("'O1")).toBe("'O1"); // no guard the tools write: left for the id check to refuse
  });
});
