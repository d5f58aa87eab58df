/**
 * The version of an update, which orders the updates of one order: its `issuedAt` (epoch ms), and,
 * for two updates issued in the same millisecond, a tie-break drawn from the metadata's content.
 *
 * The rule, the same in batch planning and in the ledger: the greater `issuedAt` wins; on equal
 * `issuedAt`, the greater tie-break wins; equal both, they are the same update. The tie-break is a
 * digest of the metadata's JSON text, so it is the same on every receive, requeue and replay of a
 * message (a message id or an enqueue time would not be), and the same for every copy of one update.
 */
import { createHash } from "node:crypto";

export interface Version {
  /** The update's `issuedAt` (else its first enqueue time), epoch ms. */
  issuedAt: number;
  /** The first 48 bits of the SHA-256 of the metadata's JSON text: a safe integer. */
  tieBreak: number;
}

/** The tie-break of an update's metadata. */
export function tieBreakOf(metadata: unknown): number {
  const digest = createHash("sha256").update(JSON.stringify(metadata)).digest();
  return digest.readUIntBE(0, 6);
}

/** Negative when `a` is older than `b`, positive when newer, 0 for the same update. */
export function compareVersions(a: Version, b: Version): number {
  return a.issuedAt - b.issuedAt || a.tieBreak - b.tieBreak;
}

/** One string per update, e.g. the owner of the order's lease: every copy of the update holds it alike. */
export function versionKey(version: Version): string {
  return `${version.issuedAt}.${version.tieBreak}`;
}

/**
 * The version as one number in decimal text (issuedAt × 10^15 + tie-break; the tie-break is below
 * 2^48), so that a DynamoDB condition compares versions with one `<`: DynamoDB numbers keep 38
 * digits, and the embedded DynamoDB evaluates a short condition five times faster than the
 * two-part one.
 */
export function versionNumber(version: Version): string {
  return (BigInt(version.issuedAt) * 10n ** 15n + BigInt(version.tieBreak)).toString();
}

/** The inverse of {@link versionNumber}. */
export function parseVersionNumber(text: string): Version {
  const value = BigInt(text);
  const scale = 10n ** 15n;
  let issuedAt = value / scale;
  let tieBreak = value % scale;
  if (tieBreak < 0n) {
    issuedAt -= 1n;
    tieBreak += scale;
  }
  return { issuedAt: Number(issuedAt), tieBreak: Number(tieBreak) };
}
