/** What the processor decided for one record, before the queue side is done. */
import type { SQSRecord } from "aws-lambda";
import type { Failure } from "../sqs/failure-attributes.ts";

/**
 * Why a message goes back to the queue. Only `ownFailure` is the message's own: only it counts
 * toward the attempts after which a message is dead-lettered as exhausted.
 */
export const HandBackCause = {
  /** Spot failed this message's call (5xx, timeout, reset): it may pass, and counts as an attempt. */
  ownFailure: "own-failure",
  /** Spot's pace (429): not the message's fault. */
  pace: "pace",
  /** Another update of the order is, or may still be, in flight. */
  busyLease: "busy-lease",
  /** Spot failed too often in a row in this invocation; the message was not tried. */
  circuit: "circuit",
  /** Too little of the invocation (or of the order's lease) was left to start a call. */
  deadline: "deadline",
  /** Not the message's fault, nor Spot's pace: the token, a redirect, answers that are not Spot's. */
  systemic: "systemic",
  /** The applied-updates ledger could not be read or written before the call. */
  ledger: "ledger",
  /** FIFO: behind a record of its group that goes back to the queue. */
  heldBack: "held-back",
  /**
   * Applied at Spot but not recorded in the ledger (it failed, or another update was admitted first):
   * it comes back to be sent and recorded again.
   */
  unrecorded: "unrecorded",
} as const;
export type HandBackCause = (typeof HandBackCause)[keyof typeof HandBackCause];

export type Decision =
  | {
      kind: "applied";
      status: number;
      attempts: number;
      latencyMs: number;
      /** How Spot's 200 differed from the schema or from what was sent, by names only. */
      drift: string[];
    }
  | { kind: "superseded"; reason: string }
  | {
      kind: "deadLetter";
      body: string;
      /** What the DLQ keeps: Spot's own words included (docs/on-call.md). */
      failure: Failure;
      /** The reason for log lines, without Spot's free text, when it differs from the failure's. */
      logReason?: string;
      latencyMs?: number;
      attempts?: number;
    }
  | {
      kind: "retry";
      cause: HandBackCause;
      reason: string;
      /** How long until the message is to be tried again. */
      waitSeconds: number;
      /** The body to requeue with, stamped with its version. */
      body: string;
      status?: number;
      errorType?: string;
      attempts?: number;
      latencyMs?: number;
    };

export interface Decided {
  record: SQSRecord;
  publicId?: string;
  /** The update's version (`issuedAt`, ISO 8601), never its metadata: which update of the order this was. */
  issuedAt?: string;
  metadata?: unknown;
  decision: Decision;
  /** When it was decided (epoch ms): for an update sent to Spot, right after Spot's answer. */
  decidedAt: number;
}

/** A hand-back that is not the message's own failure, decided before any call. */
export function handBack(cause: HandBackCause, reason: string, waitSeconds: number, body: string): Decision {
  return { kind: "retry", cause, reason, waitSeconds, body };
}

/** Whether the record stays in the queue, or goes back to it. */
export function staysInQueue(decision: Decision): boolean {
  return decision.kind === "retry";
}
