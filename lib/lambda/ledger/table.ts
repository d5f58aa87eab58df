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
   * A version the ledger lets be sent once more although it is the applied one (`spot-meta verify
   * --fix` asks for it): any copy of that update may send it; recording it clears the right.
   */
  reassertOrder: "reassertOrder",
  /** The attempt (its token) that holds the order: it is calling Spot, or its call is settling. */
  leaseOwner: "leaseOwner",
  /** When the order reopens (epoch ms): the holder's longest call plus the late-write window, or its settling's end. */
  leaseUntil: "leaseUntil",
  /** The holder's call has ended without a sure answer: the order surely reopens at `leaseUntil`. */
  leaseSettling: "leaseSettling",
  /** The newest version refused while the order was held: older ones refused after it wait longer. */
  waitingOrder: "waitingOrder",
  /**
   * Per version (its key, lib/lambda/processor/version.ts), the calls that failed at Spot for the
   * update itself (Map): what dead-letters it as exhausted, whatever its messages claim. Emptied
   * when a version is recorded.
   */
  ownFailures: "ownFailures",
} as const;
