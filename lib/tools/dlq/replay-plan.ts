/**
 * Which of the selected DLQ messages a replay puts back, and why the others stay. Pure: the
 * applied versions are looked up beforehand and passed in. A message's version is its `issuedAt`, or
 * for a valid body without one its original enqueue time, which the replay stamps on it (see
 * `DlqMessage.version`): both rules below hold for it as for any other.
 *
 * Versions compare as the handler compares them: `issuedAt`, then the tie-break of the metadata.
 * In this order, a message stays in the DLQ when
 *  1. it is invalid and invalid messages were not asked for by name (it would only come back);
 *  2. the ledger has applied the same or a newer version of its order (it would be superseded, or
 *     worse, land over the newer one where no ledger guards the handler);
 *  3. a newer message for the same order is replayed in the same run (only the newest goes back),
 *     unless Spot refused that newer one for good (400, 422): it may be refused again, and the
 *     older one must then be there to be applied (the handler sends an order's updates newest
 *     first, and the older only if the newer is refused).
 * `includeSuperseded` lifts 2 and 3, not 1.
 */
import type { Version } from "../../lambda/processor/version.ts";
import { ReasonClass } from "../../lambda/sqs/failure-attributes.ts";
import type { DlqMessage } from "./dlq-message.ts";
import { compareMessages, isReachedOrOvertaken } from "./superseded.ts";

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
  /** publicId → the version the ledger says is applied; absent when unknown. */
  appliedVersions: ReadonlyMap<string, Version>;
  limit?: number;
}

export function planReplay(selected: readonly DlqMessage[], options: PlanOptions): ReplayPlan {
  const skipped: ReplayPlan["skipped"] = [];
  const candidates: DlqMessage[] = [];
  for (const message of selected) {
    if (message.reasonClass === ReasonClass.invalid && !options.includeInvalid) {
      skipped.push({ message, reason: SkipReason.invalid });
    } else if (
      !options.includeSuperseded &&
      isReachedOrOvertaken(message, options.appliedVersions.get(message.publicId ?? ""))
    ) {
      skipped.push({ message, reason: SkipReason.supersededByLedger });
    } else {
      candidates.push(message);
    }
  }
  const newestPerOrder = new Map<string, DlqMessage>();
  if (!options.includeSuperseded) {
    for (const message of candidates) {
      if (message.publicId === undefined || message.version === undefined || refusedBySpot(message)) continue;
      const newest = newestPerOrder.get(message.publicId);
      if (newest === undefined || compareMessages(newest, message) < 0)
        newestPerOrder.set(message.publicId, message);
    }
  }
  const replay: DlqMessage[] = [];
  for (const message of candidates) {
    const newest = message.publicId === undefined ? undefined : newestPerOrder.get(message.publicId);
    if (newest !== undefined && newest !== message && compareMessages(newest, message) > 0) {
      skipped.push({ message, reason: SkipReason.supersededInDlq });
    } else {
      replay.push(message);
    }
  }
  const limit = options.limit ?? replay.length;
  return { replay: replay.slice(0, limit), skipped, overLimit: replay.slice(limit) };
}

/** Spot judged this update itself (a 400 or 422 in its envelope): replayed as is, it may be refused again. */
function refusedBySpot(message: DlqMessage): boolean {
  const status = message.failure?.status;
  return message.reasonClass === ReasonClass.permanent && (status === 400 || status === 422);
}
