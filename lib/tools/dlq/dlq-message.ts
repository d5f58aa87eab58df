/**
 * One dead-lettered message as the DLQ tool sees it: the SQS message, its body read leniently (an
 * invalid body still shows its publicId when it has one), its failure and the attributes it keeps.
 */
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { issuedAtEpochMs, parseUpdate, serializeUpdate } from "../../lambda/contract.ts";
import {
  type Failure,
  FailureAttribute,
  KEPT_ATTRIBUTES,
  REPLAY_COUNT_ATTRIBUTE,
  type ReasonClass,
  readFailure,
  SOURCE_ATTRIBUTE,
} from "../../lambda/sqs/failure-attributes.ts";

/**
 * The class of a message that reached the DLQ without the handler's failure attributes: SQS's own
 * redrive policy moved it (the handler crashed or timed out on it `maxReceiveCount` times).
 */
export const UNCLASSIFIED = "unclassified";
export type DlqReasonClass = ReasonClass | typeof UNCLASSIFIED;

export interface DlqMessage {
  messageId: string;
  /** From the latest receive; changes when the message is received again. */
  receiptHandle: string;
  /** The body exactly as it is on the queue. */
  body: string;
  /**
   * The body a replay sends: `body`, except that a valid update without `issuedAt` is stamped with
   * its original enqueue time (see `version`), so the replay does not make it newer than it is.
   */
  replayBody: string;
  publicId: string | undefined;
  /**
   * The update's version in epoch ms: the body's `issuedAt`; for a valid update without one, its
   * original enqueue time (`sentAt`), the version the handler gave it. Such a message is one SQS's
   * redrive policy moved here after crashes: the handler stamps whatever it dead-letters itself.
   * Undefined when the body has no readable `issuedAt` and is not a valid update.
   */
  version: number | undefined;
  /** The body's metadata; shown only when asked (it can hold health information). */
  metadata: Record<string, unknown> | undefined;
  failure: Failure | undefined;
  reasonClass: DlqReasonClass;
  source: string | undefined;
  replayCount: number;
  /**
   * SQS's SentTimestamp: when the handler dead-lettered the message; for one SQS's redrive policy
   * moved from a standard queue, when it was first sent to the source queue (SQS, and fauxqs, keep the
   * enqueue time on that move; a FIFO DLQ resets it to the time of the move).
   */
  sentAt: Date | undefined;
  /** Every message attribute, for a replay to carry over what is not a failure attribute. */
  attributes: Record<string, MessageAttributeValue>;
  /** The FIFO message group, when the DLQ is FIFO. */
  messageGroupId: string | undefined;
}

/** What a replay clears: the failure attributes, but for the first failure's time, which it carries. */
const CLEARED_ON_REPLAY = new Set<string>(
  Object.values(FailureAttribute).filter((name) => !(KEPT_ATTRIBUTES as readonly string[]).includes(name)),
);

/** Reads an SQS message received with `MessageAttributeNames: ["All"]` and its system attributes. */
export function toDlqMessage(message: Message): DlqMessage {
  const body = message.Body ?? "";
  const attributes = message.MessageAttributes ?? {};
  const failure = readFailure(attributes);
  const parsed = parseBodyLeniently(body);
  const sentTimestamp = Number(message.Attributes?.SentTimestamp);
  const sentAt = Number.isFinite(sentTimestamp) && sentTimestamp > 0 ? new Date(sentTimestamp) : undefined;
  const stamped =
    parsed.version === undefined && sentAt !== undefined ? stampIssuedAt(body, sentAt) : undefined;
  const replayCount = Number(attributes[REPLAY_COUNT_ATTRIBUTE]?.StringValue ?? 0);
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body,
    replayBody: stamped ?? body,
    ...parsed,
    version: parsed.version ?? (stamped === undefined ? undefined : sentAt?.getTime()),
    failure,
    reasonClass: failure?.reasonClass ?? UNCLASSIFIED,
    source: attributes[SOURCE_ATTRIBUTE]?.StringValue,
    replayCount: Number.isFinite(replayCount) ? replayCount : 0,
    sentAt,
    attributes,
    messageGroupId: message.Attributes?.MessageGroupId,
  };
}

/**
 * When the message last failed: the handler's attribute, else its SentTimestamp (for a message SQS's
 * redrive moved, that is when it was first sent: the closest to its failure SQS tells).
 */
export function lastFailureOf(message: DlqMessage): Date | undefined {
  return message.failure?.lastFailureAt ?? message.sentAt;
}

/**
 * The attributes a replayed message goes back with: every attribute but the failure ones (they
 * describe a failure that is being retried), and `replay-count` one higher. `failure-first-at`
 * stays, so that a failure after the replay still tells when the message first failed.
 */
export function replayAttributes(message: DlqMessage): Record<string, MessageAttributeValue> {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    if (!CLEARED_ON_REPLAY.has(name)) kept[name] = value;
  }
  kept[REPLAY_COUNT_ATTRIBUTE] = { DataType: "Number", StringValue: String(message.replayCount + 1) };
  return kept;
}

/**
 * The body with `issuedAt` = `enqueuedAt`, as the handler stamps what it dead-letters, when it is a
 * valid update without one; undefined otherwise (an invalid body goes back exactly as it came).
 */
function stampIssuedAt(body: string, enqueuedAt: Date): string | undefined {
  const parsed = parseUpdate(body);
  if (!parsed.ok || parsed.message.issuedAt !== undefined) return undefined;
  return serializeUpdate({ ...parsed.message, issuedAt: enqueuedAt.toISOString() });
}

function parseBodyLeniently(body: string): Pick<DlqMessage, "publicId" | "version" | "metadata"> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { publicId: undefined, version: undefined, metadata: undefined };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { publicId: undefined, version: undefined, metadata: undefined };
  }
  const record = value as Record<string, unknown>;
  const metadata = record.metadata;
  return {
    publicId: typeof record.publicId === "string" ? record.publicId : undefined,
    version: versionIn(record.issuedAt),
    metadata:
      metadata !== null && typeof metadata === "object" && !Array.isArray(metadata)
        ? (metadata as Record<string, unknown>)
        : undefined,
  };
}

/** The handler's version of an `issuedAt` (see {@link issuedAtEpochMs}), or undefined when it is not one the contract takes. */
function versionIn(issuedAt: unknown): number | undefined {
  if (typeof issuedAt !== "string") return undefined;
  try {
    return issuedAtEpochMs(issuedAt);
  } catch {
    return undefined;
  }
}
