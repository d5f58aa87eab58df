/**
 * The applied-updates ledger's table: one item per order. The CDK stack and the local stack create it
 * with these names, and the ledger and the DLQ tool read it with them.
 */

/** Partition key (String): the order's publicId. No sort key. */
export const LEDGER_KEY = "publicId";
/** TTL attribute (Number, epoch seconds): items of orders untouched for the configured days expire. */
export const LEDGER_TTL_ATTRIBUTE = "expiresAt";

/** The item's other attributes. */
export const LedgerAttribute = {
  /** The version (`issuedAt`, epoch ms) last applied to Spot. */
  appliedVersion: "appliedVersion",
  /**
   * The same version with its tie-break, as one number (lib/lambda/processor/version.ts): what the
   * conditions compare, so that two updates issued in the same millisecond are ordered too.
   */
  appliedOrder: "appliedOrder",
  /** The SQS message that applied it. */
  appliedMessageId: "appliedMessageId",
  /** When it was applied (ISO 8601). */
  appliedAt: "appliedAt",
  /**
   * The applied metadata's digest (String, 16 hex digits of the SHA-256 of its canonical JSON; see
   * lib/lambda/ledger/metadata-digest.ts): what `spot-meta verify --ledger` compares Spot's metadata with.
   * Absent on items written before it was recorded.
   */
  appliedDigest: "appliedDigest",
  /**
   * Per top-level key of the applied metadata, 8 hex digits of its value's digest (Map), so verify
   * can name the keys that differ; absent above 40 keys, which would outgrow one write unit.
   */
  appliedKeys: "appliedKeys",
  /**
   * The message that applied the version while another write might still land: it comes back to
   * re-assert the version, and only it may send the applied version again.
   */
  reassertBy: "reassertBy",
  /** The update (its version key) whose call to Spot is, or may still be, in flight. */
  leaseOwner: "leaseOwner",
  /** When that lease lapses (epoch ms): a crashed holder blocks the order no longer than this. */
  leaseUntil: "leaseUntil",
} as const;
