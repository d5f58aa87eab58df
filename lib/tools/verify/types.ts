/** What `spot-meta verify` checks, finds and counts. */
import type { Metadata } from "../../lambda/contract.ts";
import type { Version } from "../../lambda/processor/version.ts";

/** A report row's status. */
export const ReportStatus = {
  drift: "drift",
  missingAtSpot: "missing-at-spot",
  unreadable: "unreadable",
  /** The ledger holds nothing to compare with: not the order (an id of `--ids` it never saw), or no digest. */
  unknown: "unknown",
} as const;
export type ReportStatus = (typeof ReportStatus)[keyof typeof ReportStatus];

/** What an order should hold: a row of the file, or what the ledger says was applied last. */
export type Expected =
  | {
      kind: "row";
      metadata: Metadata;
      line: number;
      /** The row's version (the import's start), when an import receipt of the file is known. */
      version?: Version;
      /** The version the ledger holds for the order, when there is a ledger and it knows the order. */
      ledgerVersion?: Version;
    }
  | {
      kind: "applied";
      version: Version;
      messageId: string;
      /** Absent on items written before the ledger kept digests. */
      digest?: string;
      keys?: Record<string, string>;
    };

export interface Subject {
  publicId: string;
  expected: Expected;
}

/**
 * Where a run can resume: the next CSV row (or line of `--ids`), or the key of the last ledger item
 * handled (a Scan continues after any item's key), null at the end of the Scan.
 */
export type Position = number | Record<string, unknown> | null;

/** One step of a run: an order to check, or a row passed over; either way where to resume after it. */
export interface Step {
  subject?: Subject;
  after: Position;
}

/** What checking one order found. */
export type Finding =
  | { kind: "match" }
  /** Key names only: `+a` only at Spot, `-b` missing at Spot, `~c` another value. */
  | { kind: "drift"; keys: string[]; fix?: FixResult }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string }
  /** A newer update than the file's row was applied: not drift. */
  | { kind: "overtaken" }
  /** The ledger's item predates its digests: cannot be told. */
  | { kind: "unknown"; reason: string };

/** What `--fix` did for one drifted order. */
export type FixResult = "requeued" | "overtaken-meanwhile" | "not-queued";

export interface VerifyCounts {
  checked: number;
  matching: number;
  drift: number;
  missingAtSpot: number;
  unreadable: number;
  overtaken: number;
  unknown: number;
  /** Rows not checked: superseded by a later row of the file, or invalid. */
  passedOver: number;
  requeued: number;
  overtakenMeanwhile: number;
  notQueued: number;
}

export function zeroCounts(): VerifyCounts {
  return {
    checked: 0,
    matching: 0,
    drift: 0,
    missingAtSpot: 0,
    unreadable: 0,
    overtaken: 0,
    unknown: 0,
    passedOver: 0,
    requeued: 0,
    overtakenMeanwhile: 0,
    notQueued: 0,
  };
}
