/**
 * Which of the selected DLQ messages a replay puts back, and why the others stay. Pure: the
 * applied versions are looked up beforehand and passed in. A message's version is its `issuedAt`, or
 * for a valid body without one its original enqueue time, which the replay stamps on it (see
 * `DlqMessage.version`): both rules below hold for it as for any other.
 *
 * In this order, a message stays in the DLQ when
 *  1. it is invalid and invalid messages were not asked for by name (it would only come back);
 *  2. the ledger has applied the same or a newer version of its order (it would be superseded, or
 *     worse, land over the newer one where no ledger guards the handler);
 *  3. a newer message for the same order is replayed in the same run (only the newest goes back).
 * `includeSuperseded` lifts 2 and 3, not 1.
 */
import type { DlqMessage } from "./dlq-message.ts";
import { ReasonClass } from "./failure-attributes.ts";

export const SkipReason = {
  invalid: "invalid",
  supersededByLedger: "superseded-by-ledger",
  supersededInDlq: "superseded-in-dlq",
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export interface ReplayPlan {
  replay: DlqMessage[];
  skipped: Array<{ message: DlqMessage; reason: SkipReason }>;
  /** Selected for replay but past `limit`: left for a later run. */
  overLimit: DlqMessage[];
}

export interface PlanOptions {
  /** The caller named `invalid` among the reason classes. */
  includeInvalid: boolean;
  includeSuperseded: boolean;
  /** publicId → the version (epoch ms) the ledger says is applied; absent when unknown. */
  appliedVersions: ReadonlyMap<string, number>;
  limit?: number;
}

export function planReplay(selected: readonly DlqMessage[], options: PlanOptions): ReplayPlan {
  const skipped: ReplayPlan["skipped"] = [];
  const candidates: DlqMessage[] = [];
  for (const message of selected) {
    if (message.reasonClass === ReasonClass.invalid && !options.includeInvalid) {
      skipped.push({ message, reason: SkipReason.invalid });
    } else if (!options.includeSuperseded && isSupersededByLedger(message, options.appliedVersions)) {
      skipped.push({ message, reason: SkipReason.supersededByLedger });
    } else {
      candidates.push(message);
    }
  }
  const newestPerOrder = new Map<string, DlqMessage>();
  if (!options.includeSuperseded) {
    for (const message of candidates) {
      if (message.publicId === undefined || message.version === undefined) continue;
      const newest = newestPerOrder.get(message.publicId);
      if (newest === undefined || (newest.version ?? 0) < message.version)
        newestPerOrder.set(message.publicId, message);
    }
  }
  const replay: DlqMessage[] = [];
  for (const message of candidates) {
    const newest = message.publicId === undefined ? undefined : newestPerOrder.get(message.publicId);
    if (newest !== undefined && newest !== message) {
      skipped.push({ message, reason: SkipReason.supersededInDlq });
    } else {
      replay.push(message);
    }
  }
  const limit = options.limit ?? replay.length;
  return { replay: replay.slice(0, limit), skipped, overLimit: replay.slice(limit) };
}

/** The orders whose applied version a plan needs: those of versioned messages (stamped ones included). */
export function ordersToLookUp(messages: readonly DlqMessage[]): string[] {
  const ids = new Set<string>();
  for (const message of messages) {
    if (message.publicId !== undefined && message.version !== undefined) ids.add(message.publicId);
  }
  return [...ids];
}

function isSupersededByLedger(message: DlqMessage, applied: ReadonlyMap<string, number>): boolean {
  if (message.publicId === undefined || message.version === undefined) return false;
  const appliedVersion = applied.get(message.publicId);
  return appliedVersion !== undefined && appliedVersion >= message.version;
}
