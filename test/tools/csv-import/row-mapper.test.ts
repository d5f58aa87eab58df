import { describe, expect, it } from "vitest";
import { CsvFormatError } from "../../../lib/tools/csv-import/errors.ts";
import { createRowMapper, LAYOUTS } from "../../../lib/tools/csv-import/row-mapper.ts";

describe("createRowMapper: key-column layout", () => {
  it("maps each non-empty cell to a string value; header names are trimmed and matched case-insensitively", () => {
    // Prepare
    const mapper = createRowMapper([" Public_ID ", "Clinic", " cohort", ""]);

    // Act
    const mapped = mapper.map(["O1", "north", "", ""]);

    // Assess
    expect(mapper.layout).toBe(LAYOUTS.keyColumns);
    expect(mapped).toStrictEqual({ ok: true, publicId: "O1", metadata: { Clinic: "north" } });
  });

  it("rejects invalid ids with the contract's reason", () => {
    const mapper = createRowMapper(["public_id", "clinic"]);
    expect(mapper.map(["a/b", "x"])).toStrictEqual({
      ok: false,
      publicId: "a/b",
      reason: "publicId: may hold only letters, digits, '_' and '-'",
    });
    expect(mapper.map(["", "x"])).toStrictEqual({
      ok: false,
      publicId: "",
      reason: "publicId: must not be empty",
    });
  });

  it("rejects an id with spaces around it, as the message contract does, rather than trim it", () => {
    const mapper = createRowMapper(["public_id", "clinic"]);
    expect(mapper.map([" O1 ", "x"])).toStrictEqual({
      ok: false,
      publicId: " O1 ",
      reason: "publicId: has spaces before or after it",
    });
    expect(mapper.map(["  ", "x"])).toMatchObject({ ok: false, reason: "publicId: must not be empty" });
  });

  it("rejects a value under a column without a header, and a reserved key", () => {
    expect(createRowMapper(["public_id", "clinic", ""]).map(["O1", "x", "stray"])).toStrictEqual({
      ok: false,
      publicId: "O1",
      reason: "a value in column 3, which has no header",
    });
    expect(createRowMapper(["public_id", "__proto__"]).map(["O1", "x"])).toStrictEqual({
      ok: false,
      publicId: "O1",
      reason: 'metadata: holds the reserved key "__proto__"',
    });
  });
});

describe("createRowMapper: JSON-column layout", () => {
  it("parses the metadata column as a JSON object", () => {
    const mapper = createRowMapper(["PUBLIC_ID", "Metadata"]);
    expect(mapper.layout).toBe(LAYOUTS.jsonColumn);
    expect(mapper.map(["O1", '{"clinic":"north","n":2}'])).toStrictEqual({
      ok: true,
      publicId: "O1",
      metadata: { clinic: "north", n: 2 },
    });
  });

  it("says the cell is not JSON without echoing it, and refuses non-objects and empty cells", () => {
    const mapper = createRowMapper(["public_id", "metadata"]);
    expect(mapper.map(["O1", "{diagnosis: secret"])).toStrictEqual({
      ok: false,
      publicId: "O1",
      reason: "metadata: the cell is not valid JSON (18 bytes)",
    });
    expect(mapper.map(["O1", "[1,2]"])).toStrictEqual({
      ok: false,
      publicId: "O1",
      reason: "metadata: must be a JSON object",
    });
    expect(mapper.map(["O1", " "])).toStrictEqual({
      ok: false,
      publicId: "O1",
      reason: "metadata: the cell is empty (write {} to clear an order's metadata)",
    });
  });
});

describe("createRowMapper: header errors", () => {
  it("names the columns it found when public_id is missing", () => {
    expect(() => createRowMapper(["order", "Clinic", ""])).toThrow(
      new CsvFormatError('no public_id column in the header; found "order", "Clinic"'),
    );
  });

  it("refuses a column named twice, and extra columns beside a metadata column", () => {
    expect(() => createRowMapper(["public_id", "clinic", "Clinic"])).toThrow(CsvFormatError);
    expect(() => createRowMapper(["public_id", "metadata", "clinic"])).toThrow(/remove "clinic"/);
  });
});
