/** What the processor decided for one record, before the queue side is done. */
import type { SQSRecord } from "aws-lambda";
import type { Failure } from "../dlq/failure-attributes.ts";

export type Decision =
  | { kind: "applied"; status: number; attempts: number; latencyMs: number }
  | { kind: "superseded"; reason: string }
  | { kind: "deadLetter"; body: string; failure: Failure; latencyMs?: number; attempts?: number }
  | {
      kind: "retry";
      reason: string;
      visibilitySeconds: number;
      /** Not the message's fault (circuit open, deadline, token, lease): on the last receive it is requeued, not dead-lettered. */
      untried: boolean;
      /** The body to requeue with, when untried on the last receive. */
      body: string;
      status?: number;
      errorType?: string;
      attempts?: number;
      latencyMs?: number;
    };

export interface Decided {
  record: SQSRecord;
  publicId?: string;
  metadata?: unknown;
  decision: Decision;
}
