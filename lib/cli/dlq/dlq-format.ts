/**
 * What the DLQ commands print on a terminal: short aligned tables and summaries in words. The JSON
 * forms (`--json`) are the library's own result objects; this module is only for people.
 * Metadata values are shown only when asked for (they can hold health information).
 */

import type { Version } from "../../lambda/processor/version.ts";
import type { DlqMessage } from "../../tools/dlq/dlq-message.ts";
import { lastFailureOf } from "../../tools/dlq/dlq-message.ts";
import { READ_BUDGET_BYTES, type ReadTotals, Truncation } from "../../tools/dlq/dlq-reader.ts";
import type { ExportSummary } from "../../tools/dlq/export.ts";
import { formatDuration } from "../../tools/dlq/filters.ts";
import type { PurgeSummary } from "../../tools/dlq/purge.ts";
import type { MoveTask } from "../../tools/dlq/redrive.ts";
import type { ReplaySummary } from "../../tools/dlq/replay.ts";
import type { DlqStats } from "../../tools/dlq/stats.ts";
import { isOvertaken } from "../../tools/dlq/superseded.ts";

const REASON_WIDTH = 60;

/** A table whose columns are as wide as their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `2026-11-27T23:10:02Z (12m ago)`. */
function when(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return "-";
  return `${iso.replace(/\.\d{3}Z$/, "Z")} (${ago(iso, now)})`;
}

function ago(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  return ms < 1_000 ? "just now" : `${formatDuration(ms)} ago`;
}

/**
 * A line saying how the read fell short of the whole DLQ, and why; "" when it did not (a stop at
 * `--limit` is said where the limit is).
 */
function readNote(totals: ReadTotals): string {
  const reason = totals.truncation;
  if (reason === undefined || reason === Truncation.limit) return "";
  const why: Record<Exclude<Truncation, "limit">, string> = {
    max: `stopped at --max ${totals.read}`,
    memory: `stopped at the read's memory bound (${READ_BUDGET_BYTES / 1024 / 1024} MiB of messages); deal with these, then run again`,
    interrupted: "interrupted",
    unreachable: totals.fifo
      ? "a FIFO DLQ hands out a group's next message only once the one before it is deleted; the rest wait behind the first of their group"
      : "SQS did not hand out the rest: another reader holds them (a run stopped less than a hold ago?), or SQS's count lags",
  };
  return `read ${totals.read} of about ${totals.approximateTotal} messages (SQS's count): ${why[reason]}\n`;
}

export function formatStats(stats: DlqStats, queueName: string, now = Date.now()): string {
  if (stats.read === 0) {
    return `${queueName} is empty (SQS's approximate count: ${stats.approximateTotal}).\n${readNote(stats)}`;
  }
  const lines = [
    `${queueName}: ${stats.approximateTotal} message${stats.approximateTotal === 1 ? "" : "s"} (SQS's approximate count); ${stats.read} read`,
    `oldest failure ${when(stats.oldestFailureAt, now)}`,
    `newest failure ${when(stats.newestFailureAt, now)}`,
    "",
    table(
      ["COUNT", "CLASS", "STATUS", "ERROR TYPE", "OLDEST", "NEWEST", "EXAMPLE REASON"],
      stats.groups.map((group) => [
        String(group.count).padStart(5),
        group.reasonClass,
        group.status === undefined ? "-" : String(group.status),
        group.errorType ?? "-",
        group.oldestFailureAt === undefined ? "-" : ago(group.oldestFailureAt, now),
        group.newestFailureAt === undefined ? "-" : ago(group.newestFailureAt, now),
        clip(group.exampleReason ?? "(moved by the queue's redrive policy: crash or timeout)", REASON_WIDTH),
      ]),
    ),
  ];
  const biggest = stats.groups[0];
  if (biggest !== undefined) {
    const filters = [`--reason-class ${biggest.reasonClass}`];
    if (biggest.status !== undefined) filters.push(`--status ${biggest.status}`);
    lines.push("", `next: spot-meta dlq peek ${filters.join(" ")}`);
  }
  return `${lines.join("\n")}\n${readNote(stats)}`;
}

/** What the ledger holds for the orders a peek shows, when a ledger is known. */
export interface LedgerView {
  table: string;
  /** publicId → the version applied; an order the ledger does not know is absent. */
  applied: ReadonlyMap<string, Version>;
  /** The error's name, when the ledger could not be read. */
  unreadable?: string;
}

export function formatPeek(
  messages: readonly DlqMessage[],
  options: ReadTotals & { showMetadata: boolean; matched: number; ledger?: LedgerView | undefined },
  now = Date.now(),
): string {
  if (messages.length === 0) return `no message matches (read ${options.read}).\n${readNote(options)}`;
  const blocks = messages.map((message) => peekBlock(message, options, now));
  const all = `${options.matched}${options.truncated ? "+" : ""}`;
  const count =
    options.matched > messages.length
      ? `showing ${messages.length} of ${all} matching (--limit to see more)`
      : `${all} matching, all shown`;
  const ledgerNote =
    options.ledger?.unreadable === undefined
      ? ""
      : `the ledger ${options.ledger.table} could not be read (${options.ledger.unreadable}): no applied versions shown\n`;
  return `${blocks.join("\n\n")}\n\n${count}\n${ledgerNote}${readNote(options)}`;
}

function peekBlock(
  message: DlqMessage,
  options: { showMetadata: boolean; ledger?: LedgerView | undefined },
  now: number,
): string {
  const failure = message.failure;
  const headline = [
    message.publicId ?? "(no publicId)",
    message.reasonClass,
    failure?.status === undefined ? undefined : String(failure.status),
    failure?.errorType,
    failure === undefined ? undefined : `${failure.attempts} attempt${failure.attempts === 1 ? "" : "s"}`,
  ]
    .filter((part) => part !== undefined)
    .join("  ");
  const rows: Array<[string, string]> = [
    ["reason", failure?.reason ?? "moved by the queue's redrive policy (the handler crashed or timed out)"],
  ];
  // The handler repeats an invalid body's reason as its only detail: shown once.
  if (failure !== undefined && failure.details.length > 0 && failure.details.join("; ") !== failure.reason)
    rows.push(["details", failure.details.join("; ")]);
  rows.push(["issued", issuedText(message, now)]);
  if (options.ledger !== undefined && options.ledger.unreadable === undefined)
    rows.push(["ledger", ledgerText(message, options.ledger, now)]);
  rows.push(["failed", when(lastFailureOf(message)?.toISOString(), now)]);
  if (failure !== undefined) rows.push(["first", when(failure.firstFailureAt.toISOString(), now)]);
  rows.push(["source", message.source ?? "-"]);
  rows.push(["replays", String(message.replayCount)]);
  rows.push(["metadata", metadataText(message, options.showMetadata)]);
  rows.push(["message", message.messageId]);
  return [headline, ...rows.map(([label, value]) => `  ${label.padEnd(9)}${value}`)].join("\n");
}

/** The update's version time: its `issuedAt`, or the enqueue time a replay would stamp on it. */
function issuedText(message: DlqMessage, now: number): string {
  if (message.version === undefined) return "- (no readable issuedAt)";
  const text = when(new Date(message.version).toISOString(), now);
  // A body without issuedAt is replayed stamped with its first enqueue time (see DlqMessage.replayBody).
  return message.replayBody === message.body ? text : `${text}, its first enqueue time (the body has none)`;
}

function ledgerText(message: DlqMessage, ledger: LedgerView, now: number): string {
  const applied = ledger.applied.get(message.publicId ?? "");
  if (applied === undefined) return "no version applied for this order";
  const at = when(new Date(applied.issuedAt).toISOString(), now);
  return isOvertaken(message, applied)
    ? `${at} applied, newer: superseded (\`dlq purge --superseded\` removes it)`
    : `${at} applied, not newer than this message`;
}

function metadataText(message: DlqMessage, show: boolean): string {
  if (message.metadata === undefined) return "-";
  if (show) return JSON.stringify(message.metadata);
  const keys = Object.keys(message.metadata);
  return `{${keys.length} key${keys.length === 1 ? "" : "s"}${keys.length > 0 ? `: ${keys.join(", ")}` : ""}} (values hidden; --show-metadata)`;
}

export function formatReplay(summary: ReplaySummary): string {
  const verb = summary.dryRun ? "would replay" : "replayed";
  const lines = [
    `${verb} ${summary.replayed.length} of ${summary.matched} selected (${summary.read} read) in ${(summary.durationMs / 1_000).toFixed(1)} s`,
  ];
  const { invalid, "superseded-by-ledger": byLedger, "superseded-in-dlq": inDlq } = summary.skipped;
  if (invalid.length > 0) {
    lines.push(
      `skipped ${invalid.length} invalid: their bodies break the contract, a replay would only dead-letter them again (select them with --reason-class invalid)`,
    );
  }
  if (byLedger.length > 0) {
    lines.push(
      `skipped ${byLedger.length} superseded: the ledger has applied the same or a newer update for the order (--include-superseded to replay anyway): ${ids(byLedger)}`,
    );
  }
  if (inDlq.length > 0) {
    lines.push(
      `skipped ${inDlq.length} superseded by a newer message for the same order in this replay: ${ids(inDlq)}`,
    );
  }
  if (summary.notReached > 0)
    lines.push(`left ${summary.notReached} selected in the DLQ (--limit, or stopped)`);
  if (summary.notSent.length > 0) {
    lines.push(`NOT SENT ${summary.notSent.length} (still in the DLQ): ${ids(summary.notSent)}`);
  }
  if (summary.sentNotDeleted.length > 0) {
    lines.push(
      `SENT BUT NOT DELETED ${summary.sentNotDeleted.length}: now in both queues (a duplicate, not a loss); purge them from the DLQ once applied: ${ids(summary.sentNotDeleted)}`,
    );
  }
  if (summary.interrupted) lines.push("interrupted: the rest is still in the DLQ");
  if (summary.truncation === Truncation.limit)
    lines.push("stopped at --limit: the DLQ may hold more selected");
  return `${lines.join("\n")}\n${readNote(summary)}`;
}

export function formatExport(summary: ExportSummary): string {
  return `exported ${summary.exported} of ${summary.read} read to ${summary.out} (nothing removed; readable by you only; the file holds metadata values: handle it as health data)\n${readNote(summary)}`;
}

export function formatPurge(summary: PurgeSummary): string {
  const lines: string[] = [];
  if (summary.exportedTo !== undefined)
    lines.push(`exported ${summary.selected.length} to ${summary.exportedTo}`);
  if (!summary.confirmed) {
    lines.push(
      `would remove ${summary.selected.length} of ${summary.read} read; nothing removed (add --yes to remove them)`,
    );
    const counts = new Map<string, number>();
    for (const message of summary.selected)
      counts.set(message.reasonClass, (counts.get(message.reasonClass) ?? 0) + 1);
    for (const [reasonClass, count] of counts) lines.push(`  ${String(count).padStart(5)}  ${reasonClass}`);
    if (summary.supersededOnly && summary.selected.length > 0)
      lines.push(`superseded by a newer applied update: ${ids(summary.selected)}`);
  } else {
    lines.push(`removed ${summary.removed} of ${summary.selected.length} selected (${summary.read} read)`);
    if (summary.notRemoved > 0) lines.push(`NOT REMOVED ${summary.notRemoved}: still in the DLQ`);
    if (summary.interrupted) lines.push("interrupted: the rest is still in the DLQ");
  }
  if (summary.supersededOnly && summary.notSuperseded > 0) {
    lines.push(
      `left ${summary.notSuperseded} in the DLQ: selected by the filter, but not superseded (no newer applied update, or no readable version)`,
    );
  }
  return `${lines.join("\n")}\n${readNote(summary)}`;
}

export function formatTasks(tasks: readonly MoveTask[]): string {
  if (tasks.length === 0) return "no move task on this DLQ\n";
  return `${table(
    ["STATUS", "MOVED", "TO MOVE", "PER SECOND", "STARTED", "FAILURE"],
    tasks.map((task) => [
      task.status,
      String(task.moved),
      task.toMove === undefined ? "-" : String(task.toMove),
      task.maxPerSecond === undefined ? "SQS's choice" : String(task.maxPerSecond),
      task.startedAt ?? "-",
      task.failureReason ?? "",
    ]),
  )}\n`;
}

function ids(refs: ReadonlyArray<{ publicId: string | undefined; messageId: string }>): string {
  const shown = refs.slice(0, 10).map((ref) => ref.publicId ?? ref.messageId);
  return `${shown.join(", ")}${refs.length > 10 ? `, … (+${refs.length - 10}; --json for all)` : ""}`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
