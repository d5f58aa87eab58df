/**
 * Compares what Spot holds with what it should hold, by key names only: canonically (key order
 * does not matter), so a Spot that reorders keys is not drift.
 */
import { differingKeys, keyDigests, metadataDigest } from "../../lambda/ledger/metadata-digest.ts";
import { compareVersions } from "../../lambda/processor/version.ts";
import type { OrderMetadata } from "../../lambda/spot/order-schema.ts";
import type { Expected, Finding } from "./types.ts";

/** Whether the order need not be read at all: overtaken by a newer update, or unknown to the ledger. */
export function settledWithoutReading(expected: Expected): Finding | undefined {
  if (expected.kind === "applied") {
    if (expected.digest !== undefined) return undefined;
    // unknownStep's subject (ledger-source.ts): an order the ledger has no item for.
    return {
      kind: "unknown",
      reason: expected.messageId === "none" ? "not in the ledger" : "no digest in the ledger",
    };
  }
  const { version, ledgerVersion } = expected;
  if (version === undefined || ledgerVersion === undefined) return undefined;
  return compareVersions(ledgerVersion, version) > 0 ? { kind: "overtaken" } : undefined;
}

/** Spot's metadata (null: never set, the same as `{}`) against the expected. */
export function compareMetadata(spot: OrderMetadata | null, expected: Expected): Finding {
  const actual = metadataDigest(spot);
  if (expected.kind === "row") {
    const wanted = metadataDigest(expected.metadata);
    if (actual.digest === wanted.digest) return { kind: "match" };
    return { kind: "drift", keys: differingKeys(keyDigests(spot ?? {}), keyDigests(expected.metadata)) };
  }
  if (actual.digest === expected.digest) return { kind: "match" };
  // Above 40 keys the ledger keeps no per-key digests: the drift is found, its keys cannot be named.
  const keys = expected.keys === undefined ? [] : differingKeys(keyDigests(spot ?? {}), expected.keys);
  return { kind: "drift", keys };
}
