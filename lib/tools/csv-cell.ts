/**
 * The one way the project writes a CSV cell: every CSV it writes (the import's rejects file, verify's
 * report) is read by a person, in a spreadsheet, and a spreadsheet runs a cell that begins with `=`,
 * `+`, `-`, `@`, a tab or a carriage return as a formula: a public_id cell
 * `=HYPERLINK("http://evil.example","x")` from a bad row would be a live link in the rejects file
 * (CSV injection). Such a cell is neutralised as OWASP describes: a single quote before it, and the
 * cell quoted. So a cell `-O1` (an id may begin with `-`) is written `"'-O1"` and shows as `'-O1`.
 */

/** Characters that make a spreadsheet read a cell as a formula when it begins with one. */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * Cells holding these are quoted: the separator, quotes and line breaks (RFC 4180), spaces at the
 * edges (kept, not trimmed), and `;` and tabs, which spreadsheets in other locales take as separators
 * (an unquoted `x;=1+1` would start a cell `=1+1` there).
 */
const NEEDS_QUOTES = /[",;\t\r\n]|^\s|\s$/;

/** A cell as it goes into the file: neutralised when a spreadsheet would run it, quoted when needed. */
export function csvCell(value: string): string {
  if (FORMULA_START.test(value)) return quoted(`'${value}`);
  return NEEDS_QUOTES.test(value) ? quoted(value) : value;
}

/** A line of cells, each through {@link csvCell}, with its line break. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(",")}\n`;
}

function quoted(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}
