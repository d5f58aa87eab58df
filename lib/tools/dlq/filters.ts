/**
 * Which DLQ messages a command works on. Pure: the filter is data, matching is a function of the
 * message and the current time, so every command (peek, replay, export, purge) selects the same way.
 */

import { ReasonClass } from "../../lambda/sqs/failure-attributes.ts";
import { idLines } from "../id-file.ts";
import { type DlqMessage, type DlqReasonClass, lastFailureOf, UNCLASSIFIED } from "./dlq-message.ts";
import { DlqArgumentError } from "./errors.ts";

/** Every criterion is optional; a message must meet all that are given. Lists mean "any of". */
export interface MessageFilter {
  publicIds?: readonly string[];
  reasonClasses?: readonly DlqReasonClass[];
  statuses?: readonly number[];
  errorTypes?: readonly string[];
  /** Last failed at least this many ms ago. */
  olderThanMs?: number;
  /** Last failed at most this many ms ago. */
  newerThanMs?: number;
}

const REASON_CLASSES: readonly DlqReasonClass[] = [...Object.values(ReasonClass), UNCLASSIFIED];

/** Whether the message meets every criterion of the filter. */
export function matchesFilter(message: DlqMessage, filter: MessageFilter, now = Date.now()): boolean {
  if (filter.publicIds !== undefined && !filter.publicIds.includes(message.publicId ?? "")) return false;
  if (filter.reasonClasses !== undefined && !filter.reasonClasses.includes(message.reasonClass)) return false;
  if (filter.statuses !== undefined && !filter.statuses.includes(message.failure?.status ?? -1)) return false;
  if (filter.errorTypes !== undefined && !filter.errorTypes.includes(message.failure?.errorType ?? ""))
    return false;
  if (filter.olderThanMs !== undefined || filter.newerThanMs !== undefined) {
    const failedAt = lastFailureOf(message)?.getTime();
    if (failedAt === undefined) return false;
    if (filter.olderThanMs !== undefined && now - failedAt < filter.olderThanMs) return false;
    if (filter.newerThanMs !== undefined && now - failedAt > filter.newerThanMs) return false;
  }
  return true;
}

/** Whether the filter names anything at all (an empty one selects every message). */
export function isEmptyFilter(filter: MessageFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/** Whether the caller asked for invalid messages by name (the only way a replay takes them). */
export function selectsInvalidExplicitly(filter: MessageFilter): boolean {
  return filter.reasonClasses?.includes(ReasonClass.invalid) ?? false;
}

const DURATION_UNITS_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `90s`, `30m`, `2h`, `7d`, `1w` (or combined: `1h30m`) → milliseconds.
 * @throws DlqArgumentError when the text is not such a duration
 */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  const rebuilt = parts.map((part) => part[0]).join("");
  if (parts.length === 0 || rebuilt !== text.trim()) {
    throw new DlqArgumentError(`"${text}" is not a duration: use e.g. 90s, 30m, 2h, 7d, 1w or 1h30m`);
  }
  return parts.reduce(
    (sum, [, amount, unit]) => sum + Number(amount) * (DURATION_UNITS_MS[unit ?? ""] ?? 0),
    0,
  );
}

/**
 * Checks a reason class given on the command line.
 * @throws DlqArgumentError when it is not one of {@link REASON_CLASSES}
 */
export function parseReasonClass(text: string): DlqReasonClass {
  const found = REASON_CLASSES.find((reasonClass) => reasonClass === text);
  if (found === undefined) {
    throw new DlqArgumentError(`"${text}" is not a reason class: use one of ${REASON_CLASSES.join(", ")}`);
  }
  return found;
}

/**
 * The publicIds of a file, one a line, read as {@link idLines} reads them (blank lines and `#`
 * comments skipped, a spreadsheet guard quote dropped).
 * @throws DlqArgumentError when the file holds no id
 */
export function parsePublicIdList(text: string, fileName: string): string[] {
  const ids = idLines(text).filter((id) => id !== undefined);
  if (ids.length === 0) throw new DlqArgumentError(`${fileName} holds no publicId (one per line expected)`);
  return ids;
}

/** The filter in words, for "about to …" lines: `reason class exhausted, status 503`. */
export function describeFilter(filter: MessageFilter): string {
  const parts: string[] = [];
  if (filter.publicIds !== undefined) {
    const shown = filter.publicIds.slice(0, 3).join(", ");
    parts.push(
      `publicId ${shown}${filter.publicIds.length > 3 ? ` (+${filter.publicIds.length - 3} more)` : ""}`,
    );
  }
  if (filter.reasonClasses !== undefined) parts.push(`reason class ${filter.reasonClasses.join("|")}`);
  if (filter.statuses !== undefined) parts.push(`status ${filter.statuses.join("|")}`);
  if (filter.errorTypes !== undefined) parts.push(`error type ${filter.errorTypes.join("|")}`);
  if (filter.olderThanMs !== undefined)
    parts.push(`last failed over ${formatDuration(filter.olderThanMs)} ago`);
  if (filter.newerThanMs !== undefined)
    parts.push(`last failed within the last ${formatDuration(filter.newerThanMs)}`);
  return parts.length === 0 ? "every message" : parts.join(", ");
}

/** 5_400_000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  let rest = Math.round(ms / 1_000);
  const out: string[] = [];
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (rest >= seconds) {
      out.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return out.join("");
}
