/**
 * docs/cli.md holds the CLI's one exit-code table; the code's table (lib/cli/shared/exit-codes.ts)
 * is the truth, and the page's copy must be it, row for row. The other pages link to it instead of
 * keeping tables of their own.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXIT_CODE_MEANINGS, EXIT_CODES } from "../../lib/cli/shared/exit-codes.ts";

const PAGE = "docs/cli.md";

/** The table the code gives, as docs/cli.md shows it. */
function exitCodeTable(): string {
  const rows = (Object.keys(EXIT_CODES) as (keyof typeof EXIT_CODES)[]).map(
    (name) => `| **${EXIT_CODES[name]}** | \`${name}\` | ${EXIT_CODE_MEANINGS[name]} |`,
  );
  return ["| code | name | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

describe("docs/cli.md", () => {
  it("shows the exit codes the code has, each with its one meaning", () => {
    // Prepare
    const page = readFileSync(PAGE, "utf8");

    // Act
    const shown = /<!-- exit-codes:start -->\n([\s\S]*?)\n<!-- exit-codes:end -->/.exec(page)?.[1];

    // Assess
    expect(shown, `${PAGE}'s exit-code table differs from lib/cli/shared/exit-codes.ts`).toBe(
      exitCodeTable(),
    );
  });

  it("has no code twice: one code, one meaning", () => {
    const codes = Object.values(EXIT_CODES);

    expect(new Set(codes).size).toBe(codes.length);
  });

  it("is where the other pages send a reader for exit codes, and the README links it", () => {
    for (const doc of ["README.md", "docs/import.md", "docs/on-call.md", "docs/deploying.md"]) {
      expect(readFileSync(doc, "utf8"), doc).toMatch(/\(\.{0,2}\/?(docs\/)?cli\.md#exit-codes\)/);
    }
  });
});
