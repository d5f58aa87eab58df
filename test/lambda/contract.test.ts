import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  METADATA_MAX_BYTES,
  METADATA_MAX_DEPTH,
  parseUpdate,
  validateUpdate,
} from "../../lib/lambda/contract.ts";
import { JSON_SCHEMA_PATH, renderJsonSchema } from "../../lib/lambda/json-schema.ts";

const reasonOf = (body: string) => {
  const result = parseUpdate(body);
  return result.ok ? "ok" : result.reason;
};

describe("the message contract", () => {
  it("accepts a message with and without issuedAt", () => {
    expect(parseUpdate('{"publicId":"O1234567","metadata":{"some_key":"some_value"}}')).toStrictEqual({
      ok: true,
      message: { publicId: "O1234567", metadata: { some_key: "some_value" } },
    });
    expect(validateUpdate({ publicId: "a_B-9", metadata: {}, issuedAt: "2026-11-27T10:15:00.000Z" }).ok).toBe(
      true,
    );
  });

  it.each([
    ["../kits/X", "publicId: may hold only letters, digits, '_' and '-'"],
    ["O1?x=1", "publicId: may hold only letters, digits, '_' and '-'"],
    ["a/b", "publicId: may hold only letters, digits, '_' and '-'"],
    ["O1 2", "publicId: may hold only letters, digits, '_' and '-'"],
    ["O1#x", "publicId: may hold only letters, digits, '_' and '-'"],
    ["O.1", "publicId: may hold only letters, digits, '_' and '-'"],
    ["", "publicId: must not be empty"],
    [" ", "publicId: must not be empty"],
    [" O1", "publicId: has spaces before or after it"],
    ["O1\n", "publicId: has spaces before or after it"],
    ["x".repeat(500), "publicId: must be at most 64 characters"],
    ["Ö1", "publicId: may hold only letters, digits, '_' and '-'"],
  ])("rejects publicId %j", (publicId, reason) => {
    expect(validateUpdate({ publicId, metadata: {} })).toStrictEqual({ ok: false, reason });
  });

  it.each([
    ["nope{", "body is not valid JSON (5 bytes)"],
    ["[]", "body: must be a JSON object"],
    ["null", "body: must be a JSON object"],
    ['{"publicId":"O1"}', "metadata: is required"],
    ['{"metadata":{}}', "publicId: is required"],
    ['{"publicId":5,"metadata":"x"}', "publicId: must be a string; metadata: must be a JSON object"],
    ['{"publicId":"O1","metadata":[]}', "metadata: must be a JSON object"],
    ['{"publicId":"O1","metadata":{},"extra":1}', "body: unknown field(s) extra"],
    [
      '{"publicId":"O1","metadata":{},"issuedAt":"yesterday"}',
      "issuedAt: must be an RFC 3339 date-time with an offset, such as 2026-11-27T10:15:00.000Z or 2026-11-27T11:15:00.827100+01:00",
    ],
    ['{"publicId":"O1","metadata":{"__proto__":{"x":1}}}', 'metadata: holds the reserved key "__proto__"'],
    [
      '{"publicId":"O1","metadata":{"a":[{"constructor":1}]}}',
      'metadata: holds the reserved key "constructor"',
    ],
  ])("rejects %s with a reason that says what is wrong", (body, reason) => {
    expect(reasonOf(body)).toBe(reason);
  });

  it("limits the size of metadata and says by how much it is over", () => {
    const metadata = { blob: "x".repeat(METADATA_MAX_BYTES) };
    expect(validateUpdate({ publicId: "O1", metadata })).toStrictEqual({
      ok: false,
      reason: `metadata: is ${METADATA_MAX_BYTES + 11} bytes as JSON; the limit is ${METADATA_MAX_BYTES}`,
    });
  });

  it("never repeats a metadata value in a reason", () => {
    const secret = "HIV-positive";
    const reasons = [
      reasonOf(`{"publicId":"O1","metadata":{"diagnosis":"${secret}"},"extra":"x"}`),
      reasonOf(`{"publicId":"O1","metadata":{"diagnosis":"${secret}"`),
      reasonOf(JSON.stringify({ publicId: "O1", metadata: { diagnosis: secret.repeat(5000) } })),
    ];
    expect(reasons.every((reason) => reason !== "ok" && !reason.includes(secret))).toBe(true);
  });

  it("ships a JSON Schema that matches the zod schema", () => {
    // Regenerate with `npm run generate:schema` after changing lib/lambda/contract.ts.
    expect(readFileSync(JSON_SCHEMA_PATH, "utf8")).toBe(renderJsonSchema());
  });
});

describe("deeply nested metadata", () => {
  it("is refused with a reason, not a stack overflow, however deep", () => {
    // Prepare: 10,000 levels overflowed the recursive checks and failed the whole batch.
    const levels = 10_000;
    const body = `{"publicId":"O1","metadata":${'{"a":'.repeat(levels)}1${"}".repeat(levels)}}`;

    // Act
    const result = parseUpdate(body);

    // Assess
    expect(result).toStrictEqual({
      ok: false,
      reason: `metadata: nests deeper than ${METADATA_MAX_DEPTH} levels`,
    });
  });

  it("is accepted up to the limit", () => {
    const metadata = JSON.parse(
      `${'{"a":'.repeat(METADATA_MAX_DEPTH - 1)}{}${"}".repeat(METADATA_MAX_DEPTH - 1)}`,
    );
    expect(validateUpdate({ publicId: "O1", metadata }).ok).toBe(true);
  });
});
