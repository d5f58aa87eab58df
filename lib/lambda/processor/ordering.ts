/**
 * The guard that keeps an older update from landing after a newer one for the same order, across
 * batches, invocations and replays. The processor asks it before each call and tells it after.
 */
import type { MetadataDigest } from "../ledger/metadata-digest.ts";
import type { Version } from "./version.ts";

export type Admission =
  /**
   * The order's lease is this update's until `leaseUntil` (epoch ms): call Spot, and let no write of
   * this call land after that. `renewed`: the update already held the lease (an earlier call of it may
   * still land, so the lease is kept even after a call that surely did not). `tookOver`: the lease
   * of another update had lapsed; its call may yet land, so the applied metadata is re-asserted later.
   */
  | { kind: "acquired"; leaseUntil: number; renewed: boolean; tookOver: boolean }
  /** A newer update, or this one by another message, was already applied: do not send this one. */
  | { kind: "superseded" }
  /** Another update's call is, or may still be, in flight until `leaseUntil`: come back then. */
  | { kind: "busy"; leaseUntil: number };

/** What recording an applied update found. */
export interface Recorded {
  /**
   * The message is to come back and re-assert the version: it was asked to, or the lease was no
   * longer the update's when it was recorded (another update may have been sent after it).
   */
  reassert: boolean;
}

export interface RecordOptions {
  reassert: boolean;
  keepLease: boolean;
  /** The applied metadata's digest, recorded beside the version for `spot-meta verify --ledger`. */
  digest: MetadataDigest;
}

export interface OrderingGuard {
  /**
   * Admits an update newer than the one applied; or the applied one again for the message that is
   * to re-assert it.
   */
  admit(publicId: string, version: Version, messageId: string): Promise<Admission>;
  /**
   * Records the applied version and releases the lease, in one write. `reassert`: the message is to
   * come back and send the version again once the late-write window has passed. `keepLease`: an
   * earlier call of the update may still land, so the lease stays until it lapses. `digest`: the
   * metadata's digest (never its values), for reading Spot back against what was applied.
   */
  applied(publicId: string, version: Version, messageId: string, options: RecordOptions): Promise<Recorded>;
  /** Releases the lease after a call that surely did not reach Spot. */
  release(publicId: string, version: Version): Promise<void>;
}

/** No ledger: only the newest-in-batch rule orders updates (see docs/ordering.md). */
export const noOrderingGuard: OrderingGuard = {
  admit: async () => ({
    kind: "acquired",
    leaseUntil: Number.POSITIVE_INFINITY,
    renewed: false,
    tookOver: false,
  }),
  applied: async () => ({ reassert: false }),
  release: async () => {},
};
