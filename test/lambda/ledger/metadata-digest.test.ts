/** The canonical digests the ledger keeps of applied metadata, and the key names verify reports. */
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  differingKeys,
  MAX_KEYED_DIGESTS,
  metadataDigest,
  valueDigest,
} from "../../../lib/lambda/ledger/metadata-digest.ts";

describe("metadata digests", () => {
  it("do not depend on key order, at any depth", () => {
    const a = { clinic: "east", visit: { room: 4, at: ["x", { b: 1, a: 2 }] } };
    const b = { visit: { at: ["x", { a: 2, b: 1 }], room: 4 }, clinic: "east" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(metadataDigest(a)).toStrictEqual(metadataDigest(b));
  });

  it("change with a value, a nested value, or an array's order", () => {
    const base = metadataDigest({ visit: { room: 4, at: [1, 2] } }).digest;
    expect(metadataDigest({ visit: { room: 5, at: [1, 2] } }).digest).not.toBe(base);
    expect(metadataDigest({ visit: { room: 4, at: [2, 1] } }).digest).not.toBe(base);
    expect(metadataDigest({ visit: { room: "4", at: [1, 2] } }).digest).not.toBe(base);
  });

  it("are 16 hex digits, with 8 per key up to 40 keys and none above; null counts as {}", () => {
    const small = metadataDigest({ a: 1, b: null });
    expect(small.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(small.keys).toStrictEqual({ a: valueDigest(1), b: valueDigest(null) });
    expect(valueDigest(1)).toMatch(/^[0-9a-f]{8}$/);
    const wide = Object.fromEntries(Array.from({ length: MAX_KEYED_DIGESTS + 1 }, (_, i) => [`k${i}`, i]));
    expect(metadataDigest(wide).keys).toBeUndefined();
    expect(metadataDigest(null)).toStrictEqual(metadataDigest({}));
  });

  it("keep a __proto__ key as a key", () => {
    const withProto = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, unknown>;
    expect(canonicalJson(withProto)).toBe('{"__proto__":1,"a":2}');
  });
});

describe("differing keys", () => {
  it("names keys only at Spot (+), missing at Spot (-) and with another value (~), sorted, never a value", () => {
    const spot = metadataDigest({ clinic: "west", extra: "x", same: 1 }).keys ?? {};
    const applied = metadataDigest({ same: 1, clinic: "east", gone: true }).keys ?? {};
    expect(differingKeys(spot, applied)).toStrictEqual(["~clinic", "+extra", "-gone"]);
    expect(differingKeys(applied, applied)).toStrictEqual([]);
  });
});
