/**
 * Writes the bad-input corpus beside this file: `messages.jsonl` (one malformed message body per
 * line, with the field its reason must name) and `rows.csv` + `rows.expected.jsonl` (malformed CSV
 * rows between good ones, with the line and the field each reject must name). The files are
 * committed; run this only to change them:
 *
 *   npx node test/corpus/generate-corpus.ts
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** A metadata value the reasons must never repeat (stands for health information). */
export const SECRET = "SECRET-HEALTH-VALUE";

export interface MessageCase {
  name: string;
  /** The raw SQS message body. */
  body: string;
  /** A field name the dead letter's reason must contain. */
  expectedReasonContains: string;
  /** SQS itself refuses this body (invalid characters, too large): the producer must refuse it instead. */
  sqsRefuses?: boolean;
}

const ok = { publicId: "O0000001", metadata: { clinic: SECRET } };
/**
 * Characters beyond U+FFFF as JSON escapes: real SQS takes them raw, but fauxqs 2.4.1 refuses them
 * (InvalidMessageContents), and the handler reads the same string either way.
 */
const escapeAstral = (json: string) =>
  json.replace(/[\u{10000}-\u{10ffff}]/gu, (c) =>
    c
      .split("")
      .map((unit) => `\\u${unit.charCodeAt(0).toString(16)}`)
      .join(""),
  );
const withId = (publicId: unknown) =>
  escapeAstral(JSON.stringify({ publicId, metadata: { clinic: SECRET } }));
const withMetadata = (metadata: unknown) => JSON.stringify({ publicId: "O0000001", metadata });
const deep = (levels: number) => `${'{"a":'.repeat(levels)}"${SECRET}"${"}".repeat(levels)}`;

const badIds: Array<[string, unknown]> = [
  ["dot-dot-slash", "../O0000001"],
  ["traversal to admin", "O1/../../admin"],
  ["encoded slash", "O1%2F..%2Fadmin"],
  ["encoded slash alone", "%2F"],
  ["question mark", "O1?format=json"],
  ["hash", "O1#top"],
  ["space inside", "O 1"],
  ["leading space", " O1"],
  ["trailing space", "O1 "],
  ["dot", "O.1"],
  ["dot-dot", ".."],
  ["single dot", "."],
  ["backslash", "O1\\..\\x"],
  ["semicolon", "O1;rm"],
  ["ampersand", "O1&x=1"],
  ["newline", "O1\nHost: evil"],
  ["tab", "O1\t"],
  ["trailing slash", "O1/"],
  ["leading slash", "/O1"],
  ["empty", ""],
  ["65 characters", "O".repeat(65)],
  ["10,000 characters", "O".repeat(10_000)],
  ["RTL mark", "O1\u200f"],
  ["LTR embedding", "\u202aO1"],
  ["RTL override", "O1\u202egpj"],
  ["zero-width space", "O\u200b1"],
  ["BOM", "\ufeffO1"],
  ["escaped NUL", "O1\u0000"],
  ["lone high surrogate", "O1\ud800"],
  ["lone low surrogate", "\udc00O1"],
  ["emoji", "🧪"],
  ["emoji in id", "O1🧪"],
  ["fullwidth letters", "Ｏ１２３"],
  ["Cyrillic homoglyph", "О1234567"],
  ["combining accent", "O1\u0301"],
  ["Arabic-Indic digit", "O١"],
  ["non-breaking space", "O\u00a01"],
  ["percent-encoded space", "O%201"],
  ["URL", "https://evil.example/O1"],
  ["colon", "O1:2"],
  ["at sign", "O1@x"],
  ["plus", "O1+2"],
  ["asterisk", "O*"],
  ["quote", 'O1"'],
  ["angle brackets", "<script>"],
  ...[..."!$'()*,=[]^`{|}~"].map((c): [string, unknown] => [`punctuation ${c}`, `O1${c}2`]),
  ["number", 1234567],
  ["negative number", -1],
  ["float", 1.5],
  ["huge number", 1e308],
  ["null", null],
  ["true", true],
  ["array", ["O1"]],
  ["object", { id: "O1" }],
];

const badMetadata: Array<[string, string, string]> = [
  ["string", withMetadata(SECRET), "metadata"],
  ["array", withMetadata([SECRET]), "metadata"],
  ["number", withMetadata(42), "metadata"],
  ["null", withMetadata(null), "metadata"],
  ["true", withMetadata(true), "metadata"],
  ["__proto__ key", `{"publicId":"O0000001","metadata":{"__proto__":{"isAdmin":"${SECRET}"}}}`, "metadata"],
  ["constructor key", withMetadata({ constructor: { prototype: SECRET } }), "metadata"],
  ["prototype key", withMetadata({ prototype: SECRET }), "metadata"],
  ["nested __proto__", `{"publicId":"O0000001","metadata":{"a":{"__proto__":"${SECRET}"}}}`, "metadata"],
  [
    "__proto__ in an array",
    `{"publicId":"O0000001","metadata":{"a":[{"__proto__":"${SECRET}"}]}}`,
    "metadata",
  ],
  ["17 KB", withMetadata({ note: SECRET.repeat(1_100) }), "metadata"],
  ["100 KB", withMetadata({ note: "x".repeat(100_000) }), "metadata"],
  ["300 KB body", withMetadata({ note: "x".repeat(300_000) }), "metadata"],
  [
    "5,000 keys",
    withMetadata(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, SECRET]))),
    "metadata",
  ],
  ["nested 33 levels", `{"publicId":"O0000001","metadata":${deep(33)}}`, "metadata"],
  ["nested 10,000 levels", `{"publicId":"O0000001","metadata":${deep(10_000)}}`, "metadata"],
  [
    "array nested 20,000 levels",
    `{"publicId":"O0000001","metadata":{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`,
    "metadata",
  ],
];

const badShape: Array<[string, string, string]> = [
  ["empty object", "{}", "publicId"],
  ["only publicId", JSON.stringify({ publicId: "O0000001" }), "metadata"],
  ["only metadata", JSON.stringify({ metadata: { clinic: SECRET } }), "publicId"],
  ["extra field", JSON.stringify({ ...ok, priority: "high" }), "priority"],
  ["snake_case id", JSON.stringify({ public_id: "O0000001", metadata: {} }), "public_id"],
  ["capitalised field", JSON.stringify({ PublicId: "O0000001", metadata: {} }), "PublicId"],
  ["metaData", JSON.stringify({ publicId: "O0000001", metaData: {} }), "metaData"],
  ["top-level __proto__", `{"__proto__":{"x":1},"publicId":"O0000001","metadata":{}}`, "__proto__"],
  ["top-level constructor", `{"constructor":1,"publicId":"O0000001","metadata":{}}`, "constructor"],
  ["issuedAt a number", JSON.stringify({ ...ok, issuedAt: 1_795_000_000_000 }), "issuedAt"],
  ["issuedAt a word", JSON.stringify({ ...ok, issuedAt: "yesterday" }), "issuedAt"],
  ["issuedAt month 13", JSON.stringify({ ...ok, issuedAt: "2026-13-01T00:00:00Z" }), "issuedAt"],
  ["issuedAt date only", JSON.stringify({ ...ok, issuedAt: "2026-11-27" }), "issuedAt"],
  ["issuedAt without offset", JSON.stringify({ ...ok, issuedAt: "2026-11-27T10:00:00" }), "issuedAt"],
  ["issuedAt null", JSON.stringify({ ...ok, issuedAt: null }), "issuedAt"],
  ["issuedAt empty", JSON.stringify({ ...ok, issuedAt: "" }), "issuedAt"],
  ["null body", "null", "body"],
  ["number body", "42", "body"],
  ["string body", JSON.stringify(SECRET), "body"],
  ["array body", JSON.stringify([ok]), "body"],
  ["true body", "true", "body"],
  ["deep array body", `${"[".repeat(20_000)}${"]".repeat(20_000)}`, "body"],
];

const notJson: Array<[string, string]> = [
  ["whitespace", "   "],
  ["truncated", `{"publicId":"O0000001","metadata":{"clinic":"${SECRET}"`],
  ["single quotes", `{'publicId':'O0000001','metadata':{}}`],
  ["trailing comma", `{"publicId":"O0000001","metadata":{},}`],
  ["comment", `{"publicId":"O0000001", /* ${SECRET} */ "metadata":{}}`],
  ["unquoted keys", "{publicId:1}"],
  ["NaN", `{"publicId":"O0000001","metadata":{"a":NaN}}`],
  ["undefined", "undefined"],
  ["BOM before JSON", `\ufeff${JSON.stringify(ok)}`],
  ["XML", "<order><publicId>O1</publicId></order>"],
  ["CSV line", "O0000001,east"],
  ["base64 junk", "3q2+78r+ur7erb7v+t6tvu/63q2+7w=="],
  ["latin-1 junk", "ÿþ\u00fe\u00ff\u00c3\u00a9\u00e2\u0082\u00ac"],
  ["two objects", `${JSON.stringify(ok)}${JSON.stringify(ok)}`],
  ["JSON lines", `${JSON.stringify(ok)}\n${JSON.stringify(ok)}`],
  ["hex escapes", `{"publicId":"\\x4f1","metadata":{}}`],
  ["bad unicode escape", `{"publicId":"\\uZZZZ","metadata":{}}`],
];

const sqsRefused: Array<[string, string, string]> = [
  ["empty body", "", "body"],
  ["raw NUL", `{"publicId":"O1\u0000","metadata":{}}`, "publicId"],
  ["raw control character", `{"publicId":"O1\u0001","metadata":{}}`, "publicId"],
  ["raw U+FFFF", `{"publicId":"O1\uffff","metadata":{}}`, "publicId"],
  ["1.1 MiB body", withMetadata({ note: "x".repeat(1_100_000) }), "metadata"],
];

function messageCases(): MessageCase[] {
  return [
    ...badIds.map(([name, id]) => ({
      name: `publicId: ${name}`,
      body: withId(id),
      expectedReasonContains: "publicId",
    })),
    ...badMetadata.map(([name, body, field]) => ({
      name: `metadata: ${name}`,
      body,
      expectedReasonContains: field,
    })),
    ...badShape.map(([name, body, field]) => ({
      name: `shape: ${name}`,
      body,
      expectedReasonContains: field,
    })),
    ...notJson.map(([name, body]) => ({
      name: `not JSON: ${name}`,
      body,
      expectedReasonContains: "not valid JSON",
    })),
    ...sqsRefused.map(([name, body, field]) => ({
      name: `SQS refuses: ${name}`,
      body,
      expectedReasonContains: field,
      sqsRefuses: true,
    })),
  ];
}

interface RowCase {
  name: string;
  /** The CSV text of the row (its cells already quoted). */
  csv: string;
  /** Rejected rows: a field or phrase the reason must contain. Good rows: undefined. */
  reasonContains?: string;
}

/** `public_id,metadata,` (the trailing column has no header, as spreadsheets leave). */
const ROWS_HEADER = "public_id,metadata,";

const quote = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
const row = (publicId: string, metadata: string, extra = "") =>
  `${quote(publicId)},${quote(metadata)},${extra}`;
const goodMetadata = JSON.stringify({ clinic: "east" });

function rowCases(): RowCase[] {
  const bad: RowCase[] = [];
  badIds.forEach(([name, id], i) => {
    // The importer trims cells (a spreadsheet's stray spaces), so edge spaces and a BOM are fine there.
    if (typeof id !== "string" || id.trim() !== id || id === "" || id.length > 1_000) return;
    // Distinct ids, so that no bad row supersedes another; a CSV cell cannot hold a lone surrogate.
    const unique = name.includes("surrogate") ? `O1\u00e9${i}` : `${id}${name.includes("trailing") ? "" : i}`;
    bad.push({ name: `publicId: ${name}`, csv: row(unique, goodMetadata), reasonContains: "publicId" });
  });
  bad.push(
    { name: "publicId: empty", csv: row("", goodMetadata), reasonContains: "publicId" },
    { name: "publicId: 65 characters", csv: row("R".repeat(65), goodMetadata), reasonContains: "publicId" },
    { name: "publicId: multi-line cell", csv: row("O1\nO2", goodMetadata), reasonContains: "publicId" },
    { name: "publicId: CRLF inside", csv: row("O3\r\nO4", goodMetadata), reasonContains: "publicId" },
    { name: "publicId: tab inside", csv: row("O\t5", goodMetadata), reasonContains: "publicId" },
    { name: "publicId: comma inside", csv: row("O6,7", goodMetadata), reasonContains: "publicId" },
  );
  const metadataCells: Array<[string, string, string]> = [
    ["empty cell", "", "metadata"],
    ["spaces", "   ", "metadata"],
    ["not JSON", `{clinic: ${SECRET}}`, "metadata"],
    ["truncated JSON", `{"clinic":"${SECRET}"`, "metadata"],
    ["a string", JSON.stringify(SECRET), "metadata"],
    ["an array", JSON.stringify([SECRET]), "metadata"],
    ["a number", "42", "metadata"],
    ["null", "null", "metadata"],
    ["true", "true", "metadata"],
    ["__proto__ key", `{"__proto__":{"x":"${SECRET}"}}`, "metadata"],
    ["constructor key", `{"constructor":"${SECRET}"}`, "metadata"],
    ["prototype key", `{"prototype":"${SECRET}"}`, "metadata"],
    ["nested __proto__", `{"a":{"__proto__":"${SECRET}"}}`, "metadata"],
    ["17 KB", JSON.stringify({ note: SECRET.repeat(1_100) }), "metadata"],
    ["100 KB", JSON.stringify({ note: "x".repeat(100_000) }), "metadata"],
    ["nested 33 levels", deep(33), "metadata"],
    ["nested 10,000 levels", deep(10_000), "metadata"],
    ["array nested 20,000 levels", `{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}`, "metadata"],
    ["NaN", `{"a":NaN}`, "metadata"],
    ["single quotes", `{'a':'${SECRET}'}`, "metadata"],
    ["trailing comma", `{"a":1,}`, "metadata"],
    ["BOM inside the cell", `\ufeff{"a":1}`, "metadata"],
    ["two objects", `{"a":1}{"b":2}`, "metadata"],
    ["emoji key only", "🧪", "metadata"],
    ["RTL mark", `\u200f{"a":1}`, "metadata"],
    ...[
      "undefined",
      "Infinity",
      "-Infinity",
      "0x10",
      "01",
      ".5",
      '"\\x41"',
      '"\\u00"',
      "nul",
      "'single'",
      `"${SECRET}`,
      "[1,]",
      "{}}",
    ].map((value): [string, string, string] => [`value ${value}`, `{"a":${value}}`, "metadata"]),
    ["an empty array", "[]", "metadata"],
    ["JSON then junk", `{"a":1}${SECRET}`, "metadata"],
  ];
  metadataCells.forEach(([name, cell, field], i) => {
    bad.push({
      name: `metadata: ${name}`,
      csv: row(`R${String(i).padStart(4, "0")}`, cell),
      reasonContains: field,
    });
  });
  bad.push(
    {
      name: "value in the column with no header",
      csv: row("S0001", goodMetadata, SECRET),
      reasonContains: "column 3",
    },
    {
      name: "value in a fourth column",
      csv: `${row("S0002", goodMetadata, "")},${SECRET}`,
      reasonContains: "column 4",
    },
  );
  const good = (n: number): RowCase => ({
    name: `good ${n}`,
    csv: row(`G${String(n).padStart(5, "0")}`, goodMetadata),
  });
  // Good rows between the bad ones: a bad row must not take its neighbours with it.
  return bad.flatMap((badRow, i) => [good(i), badRow]).concat([good(bad.length)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = import.meta.dirname;
  const messages = messageCases();
  writeFileSync(join(dir, "messages.jsonl"), `${messages.map((c) => JSON.stringify(c)).join("\n")}\n`);
  const rows = rowCases();
  writeFileSync(join(dir, "rows.csv"), `${ROWS_HEADER}\n${rows.map((r) => r.csv).join("\n")}\n`);
  // Line numbers: the header is line 1; a row's cells may span lines.
  let line = 2;
  const expected: Array<{ line: number; name: string; reasonContains: string }> = [];
  for (const r of rows) {
    if (r.reasonContains !== undefined)
      expected.push({ line, name: r.name, reasonContains: r.reasonContains });
    line += r.csv.split("\n").length;
  }
  writeFileSync(join(dir, "rows.expected.jsonl"), `${expected.map((e) => JSON.stringify(e)).join("\n")}\n`);
  console.log(`${messages.length} messages, ${rows.length} rows (${expected.length} to reject)`);
}
