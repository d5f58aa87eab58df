/**
 * The message attributes that say why a message is in the DLQ. The handler writes them; the DLQ
 * tool reads, groups and clears them. SQS allows ten attributes a message: `source`, `replay-count`
 * and these eight fit.
 *
 * A replay keeps one of them, `failure-first-at`: the next dead-lettering of the message writes
 * the same name again ({@link keepFirstFailure}), so the first failure survives any number of
 * replays without an eleventh attribute in the DLQ (on the source queue the message then carries
 * `source`, `replay-count`, `failure-first-at` and, once handed back, `history`).
 */
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";

export const ReasonClass = {
  /** The body breaks the message contract; it was never sent to Spot. */
  invalid: "invalid",
  /** Spot said no for this message (400, 404, 422, or a response that makes no sense). */
  permanent: "permanent",
  /** Transient failures until the last receive the queue allows. */
  exhausted: "exhausted",
} as const;
export type ReasonClass = (typeof ReasonClass)[keyof typeof ReasonClass];

export const FailureAttribute = {
  reasonClass: "failure-class",
  reason: "failure-reason",
  status: "failure-status",
  errorType: "failure-error-type",
  details: "failure-details",
  attempts: "failure-attempts",
  firstFailureAt: "failure-first-at",
  lastFailureAt: "failure-last-at",
} as const;

/** Who enqueued the message (`csv:orders.csv:42`, `svc:billing`); kept through the DLQ and replays. */
export const SOURCE_ATTRIBUTE = "source";
/** How many times the DLQ tool put this message back. */
export const REPLAY_COUNT_ATTRIBUTE = "replay-count";
/**
 * Attributes that travel with a message into the DLQ and back; others are dropped to stay within ten.
 * `failure-first-at` is one of the eight failure attributes: kept, it costs no name of its own.
 */
export const KEPT_ATTRIBUTES = [
  SOURCE_ATTRIBUTE,
  REPLAY_COUNT_ATTRIBUTE,
  FailureAttribute.firstFailureAt,
] as const;

/** SQS caps a message attribute's size with the message; details are clipped well below that. */
const DETAILS_MAX_CHARS = 2_000;

/** Why a message was dead-lettered, as its attributes carry it to the DLQ and the tools read it back. */
export interface Failure {
  reasonClass: ReasonClass;
  reason: string;
  status?: number;
  errorType?: string;
  details: string[];
  /** Deliveries of the message to the handler (its receive count). */
  attempts: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

export function failureAttributes(failure: Failure): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [FailureAttribute.reasonClass]: text(failure.reasonClass),
    [FailureAttribute.reason]: text(failure.reason.slice(0, DETAILS_MAX_CHARS)),
    [FailureAttribute.details]: text(clipDetails(failure.details)),
    [FailureAttribute.attempts]: number(failure.attempts),
    [FailureAttribute.firstFailureAt]: text(failure.firstFailureAt.toISOString()),
    [FailureAttribute.lastFailureAt]: text(failure.lastFailureAt.toISOString()),
  };
  if (failure.status !== undefined) attributes[FailureAttribute.status] = number(failure.status);
  if (failure.errorType !== undefined) attributes[FailureAttribute.errorType] = text(failure.errorType);
  return attributes;
}

/**
 * The first failure to write when the handler dead-letters a message: the one the message carries
 * (a replayed message keeps its `failure-first-at`) when it is earlier than this delivery's own.
 * @param carried the record's message attributes, as Lambda hands them over
 * @param own the first failure this delivery knows of (its first receive, or now)
 */
export function keepFirstFailure(
  carried: Readonly<Record<string, { stringValue?: string | undefined }>> | undefined,
  own: Date,
): Date {
  const earlier = Date.parse(carried?.[FailureAttribute.firstFailureAt]?.stringValue ?? "");
  return Number.isFinite(earlier) && earlier < own.getTime() ? new Date(earlier) : own;
}

/** Reads the failure back from a dead-lettered message's attributes; undefined when it has none. */
export function readFailure(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Failure | undefined {
  const get = (name: string) => attributes?.[name]?.StringValue;
  const reasonClass = get(FailureAttribute.reasonClass);
  if (reasonClass === undefined) return undefined;
  const status = get(FailureAttribute.status);
  const errorType = get(FailureAttribute.errorType);
  return {
    reasonClass: reasonClass as ReasonClass,
    reason: get(FailureAttribute.reason) ?? "",
    ...(status === undefined ? {} : { status: Number(status) }),
    ...(errorType === undefined ? {} : { errorType }),
    details: parseDetails(get(FailureAttribute.details)),
    attempts: Number(get(FailureAttribute.attempts) ?? 0),
    firstFailureAt: new Date(get(FailureAttribute.firstFailureAt) ?? 0),
    lastFailureAt: new Date(get(FailureAttribute.lastFailureAt) ?? 0),
  };
}

function clipDetails(details: string[]): string {
  const kept: string[] = [];
  let size = 2;
  for (const detail of details) {
    size += JSON.stringify(detail).length + 1;
    if (size > DETAILS_MAX_CHARS) break;
    kept.push(detail);
  }
  return JSON.stringify(kept);
}

function parseDetails(value: string | undefined): string[] {
  if (value === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [value];
  } catch {
    return [value];
  }
}

function text(value: string): MessageAttributeValue {
  return { DataType: "String", StringValue: value };
}

function number(value: number): MessageAttributeValue {
  return { DataType: "Number", StringValue: String(value) };
}
