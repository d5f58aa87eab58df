/** What an import came to: the figures, the human text on stdout, and the exit code. */

export interface SupersededRow {
  line: number;
  publicId: string;
  supersededBy: number;
}

export interface ImportSummary {
  file: string;
  /** The import's id, carried on each of its messages' `source` (absent in a dry run). */
  importId: string | undefined;
  /** The queue the rows went to (absent in a dry run without a target). */
  queueUrl: string | undefined;
  dryRun: boolean;
  /** Whether this run continued an earlier, interrupted one. */
  resumed: boolean;
  /** Data rows in the file (blank lines excluded). */
  rows: number;
  /** Rows on the queue (in a dry run: rows that would be), this run and earlier runs of a resumed import. */
  queued: number;
  /** Rows in the rejects file. */
  rejected: number;
  /** The commonest reasons for this run's rejects, most rows first (at most 5). */
  rejectReasons: { reason: string; rows: number }[];
  /** Rows not sent because a later row in the file is for the same order. */
  superseded: number;
  /** The first few superseded rows, for the operator to check. */
  supersededExamples: SupersededRow[];
  /** Rows SQS did not take after all retries (not the row's fault): a later `--resume` sends them. */
  notQueued: number;
  /** Why the queue stopped taking rows (the first failure), when it did. */
  queueFailure?: string | undefined;
  /** Rows done by an earlier run, skipped by this one. */
  skippedFromCheckpoint: number;
  /** Stopped before the end (Ctrl-C, or the queue failing): the checkpoint says where to resume. */
  interrupted: boolean;
  rejectsFile: string | undefined;
  checkpointFile: string | undefined;
  /** The import's start time: every row of the import is issued at it (a resumed import keeps it). */
  startedAt: string;
  durationMs: number;
  /** Rows decided (queued or rejected or superseded) per second in this run. */
  rowsPerSecond: number;
}

const number = new Intl.NumberFormat("en-US");

export function formatSummary(summary: ImportSummary): string {
  const lines: string[] = [];
  const verb = summary.dryRun ? "would queue" : "queued";
  const state = summary.interrupted
    ? "stopped early"
    : summary.dryRun
      ? "checked (dry run, nothing sent)"
      : "imported";
  lines.push(
    `${summary.file}: ${state}${summary.importId === undefined ? "" : ` (import ${summary.importId})`}`,
  );
  lines.push(`  rows        ${number.format(summary.rows)}`);
  lines.push(`  ${pad(verb)}${number.format(summary.queued)}`);
  lines.push(
    `  rejected    ${number.format(summary.rejected)}${summary.rejectsFile ? `  → ${summary.rejectsFile}` : ""}`,
  );
  for (const { reason, rows } of summary.rejectReasons) lines.push(`    ${number.format(rows)} × ${reason}`);
  lines.push(
    `  superseded  ${number.format(summary.superseded)}  (a later row for the same order was sent instead)`,
  );
  for (const row of summary.supersededExamples) {
    lines.push(`    line ${row.line} (${row.publicId}): superseded by line ${row.supersededBy}`);
  }
  if (summary.superseded > summary.supersededExamples.length) lines.push("    …");
  if (summary.notQueued > 0)
    lines.push(
      `  not queued  ${number.format(summary.notQueued)}  (${summary.queueFailure ?? "SQS kept failing"})`,
    );
  if (summary.resumed)
    lines.push(`  resumed     ${number.format(summary.skippedFromCheckpoint)} rows were done before`);
  lines.push(
    `  time        ${(summary.durationMs / 1000).toFixed(1)} s, ${number.format(Math.round(summary.rowsPerSecond))} rows/s`,
  );
  if (summary.importId !== undefined && summary.queued > 0)
    lines.push(`  follow it to Spot with: spot-meta import-status ${summary.importId}`);
  if (summary.interrupted && summary.checkpointFile) {
    lines.push(
      `  continue with: spot-meta import ${summary.file} --resume  (checkpoint ${summary.checkpointFile})`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function pad(label: string): string {
  return label.length >= 12 ? `${label} ` : label.padEnd(12);
}
