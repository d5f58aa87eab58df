/**
 * Digests of an update's metadata, kept in the ledger so that `spot-meta verify --ledger` can tell
 * whether Spot still holds what was applied, and name the keys that differ, without the ledger ever
 * holding a value (metadata can be health information). Canonical: object keys sorted at every
 * depth, so key order (which Spot need not keep) does not change a digest; arrays keep their order.
 */
import { createHash } from "node:crypto";

/**
 * Above this many top-level keys only the whole digest is kept: each key costs its name plus 9 bytes
 * in the item, and 40 keys of up to 8 characters keep the item under DynamoDB's 1 KB write unit.
 */
export const MAX_KEYED_DIGESTS = 40;

export interface MetadataDigest {
  /** First 16 hex digits of the SHA-256 of the canonical JSON. */
  digest: string;
  /** Per top-level key, the first 8 hex digits of the SHA-256 of its value's canonical JSON. */
  keys?: Record<string, string>;
}

/** JSON text with every object's keys sorted, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The digest of metadata (null, as Spot shows an order never given any, counts as `{}`). */
export function metadataDigest(metadata: Record<string, unknown> | null): MetadataDigest {
  const object = metadata ?? {};
  const keys = Object.keys(object);
  const digest = sha256Hex(canonicalJson(object)).slice(0, 16);
  return keys.length > MAX_KEYED_DIGESTS ? { digest } : { digest, keys: keyDigests(object) };
}

/** Every top-level key's value digest, however many keys there are. */
export function keyDigests(metadata: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.keys(metadata).map((key) => [key, valueDigest(metadata[key])]));
}

/** The digest of one key's value. */
export function valueDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 8);
}

/**
 * The keys in which two metadata differ, by their per-key digests, sorted by name: `+a` only in
 * `actual`, `-b` only in `expected`, `~c` in both with different values.
 */
export function differingKeys(actual: Record<string, string>, expected: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  return names.flatMap((name) => {
    const at = Object.hasOwn(actual, name) ? actual[name] : undefined;
    const want = Object.hasOwn(expected, name) ? expected[name] : undefined;
    if (want === undefined) return [`+${name}`];
    if (at === undefined) return [`-${name}`];
    return at === want ? [] : [`~${name}`];
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  // No prototype: a "__proto__" key stays an own key and is written out like any other.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(object).sort()) sorted[key] = sortKeys(object[key]);
  return sorted;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
