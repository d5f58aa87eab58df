/**
 * The guard that keeps an older update from landing after a newer one for the same order, across
 * batches, invocations and replays: the processor asks it before each call and tells it after.
 *
 * An order is open, calling or settling (docs/ordering.md, "The order's states"). One attempt at a
 * time holds it, with a token of its own: only that attempt may record, settle or release it, so a
 * second copy of the same update, or an attempt whose hold lapsed and passed on, cannot act for it.
 */
import type { MetadataDigest } from "../ledger/metadata-digest.ts";
import type { Version } from "./version.ts";

/** One attempt's hold on an order: until `until` (epoch ms) no other update of it is sent. */
export interface Lease {
  publicId: string;
  version: Version;
  /** This attempt's own: a copy of the update, delivered twice, holds another. */
  token: string;
  until: number;
}

export type Admission =
  /** The order is this attempt's until `lease.until`: call Spot, and let no write land after that. */
  | { kind: "acquired"; lease: Lease }
  /** A newer update, or this same one, was applied: do not send this one. */
  | { kind: "superseded" }
  /**
   * Another attempt holds the order until `reopensAt` (epoch ms). `settling`: its call has ended and
   * the order reopens then for sure; otherwise the call is still running and usually ends sooner.
   * `newerWaiting`: an update newer than this one was refused too, and goes first.
   */
  | { kind: "busy"; reopensAt: number; settling: boolean; newerWaiting: boolean };

/** What recording an applied update found: `lost` when another attempt took the order meanwhile. */
export type Recorded = "recorded" | "lost";

export interface OrderingGuard {
  /**
   * Admits an update newer than the one applied (or the applied one, when the ledger was asked to
   * let it be sent again), if no attempt holds the order; holds it until `holdUntil`: the end of
   * the longest call the attempt may make plus the late-write window.
   */
  admit(publicId: string, version: Version, holdUntil: number): Promise<Admission>;
  /**
   * Records the applied version, fenced by the lease's token. `reopensAt`: an earlier attempt of the
   * call may still land until then, so the order stays closed until then; otherwise it opens now.
   */
  recordApplied(
    lease: Lease,
    options: { messageId: string; digest: MetadataDigest; reopensAt?: number },
  ): Promise<Recorded>;
  /**
   * After a call whose write may still land: the order reopens at `reopensAt` (the call's end plus
   * the late-write window), not at the lease's end. `ownFailure`: the failure counts against the
   * update; the count of its own failures so far is returned (undefined if the lease was lost).
   */
  settle(lease: Lease, options: { reopensAt: number; ownFailure: boolean }): Promise<number | undefined>;
  /** After a call that surely wrote nothing (refused in Spot's envelope, or never sent): opens the order. */
  release(lease: Lease, options?: { ownFailure: boolean }): Promise<number | undefined>;
  /** An order the ledger recorded as applied, which Spot therefore has; undefined if none is found. */
  anAppliedOrder?(): Promise<string | undefined>;
}

/** No ledger: only the newest-in-batch rule orders updates (see docs/ordering.md). */
export const noOrderingGuard: OrderingGuard = {
  admit: async (publicId, version) => ({
    kind: "acquired",
    lease: { publicId, version, token: "", until: Number.POSITIVE_INFINITY },
  }),
  recordApplied: async () => "recorded",
  settle: async () => undefined,
  release: async () => undefined,
};
