/**
 * What is in the DLQ, grouped: by reason class, HTTP status and Spot's error type together (the
 * question at 3 a.m. is "which failures, how many, since when"), with the oldest and newest
 * failure of each group and one reason as an example. Pure: it counts messages already read.
 */
import { type DlqMessage, type DlqReasonClass, lastFailureOf } from "./dlq-message.ts";
import type { ReadTotals } from "./dlq-reader.ts";

interface FailureGroup {
  reasonClass: DlqReasonClass;
  status: number | undefined;
  errorType: string | undefined;
  count: number;
  oldestFailureAt: string | undefined;
  newestFailureAt: string | undefined;
  /** One reason of the group, as an example (reasons of a group usually read alike). */
  exampleReason: string | undefined;
}

/** `read` is the number of messages counted below; `approximateTotal` is SQS's, even past `max`. */
export interface DlqStats extends ReadTotals {
  groups: FailureGroup[];
  byReasonClass: Record<string, number>;
  oldestFailureAt: string | undefined;
  newestFailureAt: string | undefined;
}

/** Groups the messages; biggest group first, then by class, status and error type. */
export function summarize(messages: readonly DlqMessage[], totals: ReadTotals): DlqStats {
  const groups = new Map<string, FailureGroup>();
  const byReasonClass: Record<string, number> = {};
  let oldest: number | undefined;
  let newest: number | undefined;
  for (const message of messages) {
    const status = message.failure?.status;
    const errorType = message.failure?.errorType;
    const key = JSON.stringify([message.reasonClass, status ?? null, errorType ?? null]);
    const group = groups.get(key) ?? {
      reasonClass: message.reasonClass,
      status,
      errorType,
      count: 0,
      oldestFailureAt: undefined,
      newestFailureAt: undefined,
      exampleReason: message.failure?.reason,
    };
    group.count += 1;
    const failedAt = lastFailureOf(message);
    if (failedAt !== undefined) {
      const iso = failedAt.toISOString();
      if (group.oldestFailureAt === undefined || iso < group.oldestFailureAt) group.oldestFailureAt = iso;
      if (group.newestFailureAt === undefined || iso > group.newestFailureAt) group.newestFailureAt = iso;
      const ms = failedAt.getTime();
      oldest = oldest === undefined ? ms : Math.min(oldest, ms);
      newest = newest === undefined ? ms : Math.max(newest, ms);
    }
    groups.set(key, group);
    byReasonClass[message.reasonClass] = (byReasonClass[message.reasonClass] ?? 0) + 1;
  }
  return {
    ...totals,
    groups: [...groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        a.reasonClass.localeCompare(b.reasonClass) ||
        (a.status ?? 0) - (b.status ?? 0) ||
        (a.errorType ?? "").localeCompare(b.errorType ?? ""),
    ),
    byReasonClass,
    oldestFailureAt: oldest === undefined ? undefined : new Date(oldest).toISOString(),
    newestFailureAt: newest === undefined ? undefined : new Date(newest).toISOString(),
  };
}
