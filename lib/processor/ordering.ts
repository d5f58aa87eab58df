/**
 * The guard that keeps an older update from landing after a newer one for the same order, across
 * batches, invocations and replays. The processor asks it before each call and tells it after.
 */
export const Admission = {
  /** This invocation holds the order's lease: call Spot. */
  acquired: "acquired",
  /** A newer (or the same) update was already applied: do not send this one. */
  superseded: "superseded",
  /** Another invocation is calling Spot for this order right now: try again shortly. */
  busy: "busy",
} as const;
export type Admission = (typeof Admission)[keyof typeof Admission];

export interface OrderingGuard {
  admit(publicId: string, version: number, messageId: string): Promise<Admission>;
  /** Records the applied version and releases the lease, in one write. */
  applied(publicId: string, version: number, messageId: string): Promise<void>;
  /** Releases the lease after a call that did not apply. */
  release(publicId: string, messageId: string): Promise<void>;
}

/** No ledger: only the newest-in-batch rule orders updates (see README, Ordering). */
export const noOrderingGuard: OrderingGuard = {
  admit: async () => Admission.acquired,
  applied: async () => {},
  release: async () => {},
};
