/**
 * docs/sending-updates.md tells a service's author which timestamps are accepted and what version
 * each becomes: every timestamp its tables show goes through the contract's own parser here, so
 * the page cannot promise what the handler refuses (or the other way round).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseUpdate } from "../../lib/lambda/contract.ts";
import { parseRfc3339 } from "../../lib/lambda/rfc3339.ts";

const PAGE = readFileSync("docs/sending-updates.md", "utf8");

/** The rows of the Markdown table under `heading`, as cells (the header and its rule left out). */
function tableUnder(heading: string): string[][] {
  const start = PAGE.indexOf(heading);
  expect(start, `${heading} in docs/sending-updates.md`).toBeGreaterThan(-1);
  const lines = PAGE.slice(start).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const rows = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The `code` spans of a cell: the timestamps it shows. */
const codeIn = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(([, code]) => code as string);

describe("docs/sending-updates.md", () => {
  it("says of each language's timestamp what the contract does with it", () => {
    // Prepare
    const rows = tableUnder("## `issuedAt`: timestamps from any language");

    // Act
    const verdicts = rows.flatMap(([language, , gives, verdict]) =>
      codeIn(gives ?? "").map((timestamp) => ({
        language,
        timestamp,
        said: verdict?.startsWith("accepted") === true,
        parsed: parseRfc3339(timestamp).ok,
      })),
    );

    // Assess
    expect(verdicts.length).toBeGreaterThanOrEqual(12);
    for (const { language, timestamp, said, parsed } of verdicts) {
      expect(parsed, `${language}'s ${timestamp}: the page says ${said ? "accepted" : "refused"}`).toBe(said);
    }
    for (const language of ["Python", "Go", "Java", "Ruby", "shell", "AWS CLI"]) {
      expect(verdicts.some((row) => row.language === language && row.said)).toBe(true);
    }
  });

  it("names the version each timestamp becomes as the contract reads it", () => {
    const rows = tableUnder("### How a timestamp becomes the version");

    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [issuedAt, version] of rows.map((row) => row.map((cell) => codeIn(cell)[0]))) {
      const parsed = parseRfc3339(issuedAt ?? "");
      expect(parsed.ok ? new Date(parsed.epochMs).toISOString() : parsed.reason, issuedAt).toBe(version);
    }
  });

  it("shows a message the contract accepts, and a Python timestamp in the boto3 example", () => {
    const example = /```json\n(.+)\n```/.exec(PAGE)?.[1] ?? "";
    const python =
      /"issuedAt": datetime\.now\(timezone\.utc\)\.isoformat\(\),\s+# (\S+)/.exec(PAGE)?.[1] ?? "";
    const typescript = /issuedAt: new Date\(\)\.toISOString\(\), \/\/ (\S+)/.exec(PAGE)?.[1] ?? "";

    expect(parseUpdate(example)).toMatchObject({ ok: true });
    for (const issuedAt of [python, typescript]) {
      expect(
        parseUpdate(JSON.stringify({ publicId: "O0000001", metadata: {}, issuedAt })),
        issuedAt,
      ).toMatchObject({
        ok: true,
      });
    }
  });
});
