/** How `spot-meta import-status` shows an import's status: the summary on stdout, progress on stderr. */
import cliProgress from "cli-progress";
import { type ImportStatus, RowFate } from "../../tools/csv-import/import-status.ts";
import { barReporter } from "../../tools/csv-import/progress.ts";

const number = new Intl.NumberFormat("en-US");

/** Each fate in words, in the order shown. */
const FATE_LINES: [RowFate, string][] = [
  [RowFate.applied, "applied      Spot holds the row's update"],
  [RowFate.overtaken, "overtaken    Spot holds a newer update of the order"],
  [RowFate.deadLettered, "dead-lettered, for these reasons:"],
  [RowFate.onTheWay, "on the way   queued, not yet applied"],
  [RowFate.queued, "queued       no ledger to tell whether applied"],
  [RowFate.notQueued, "not queued   the import stopped before them: spot-meta import <file> --resume"],
  [RowFate.rejected, "rejected     never sent: see the import's rejects file"],
  [RowFate.supersededInFile, "superseded   a later row of the file was sent instead"],
];

export function formatStatus(status: ImportStatus): string {
  const lines = [
    `import ${status.importId}: ${status.file}, started ${status.startedAt}, ${number.format(status.rows)} rows`,
  ];
  const width = Math.max(...FATE_LINES.map(([fate]) => number.format(status.counts[fate]).length));
  for (const [fate, words] of FATE_LINES) {
    const count = status.counts[fate];
    if (count === 0 && fate !== RowFate.applied) continue;
    lines.push(`  ${number.format(count).padStart(width)}  ${words}`);
    if (fate === RowFate.deadLettered) {
      for (const row of status.deadLettered)
        lines.push(`      line ${row.line} (${row.publicId}): ${row.reason}`);
      if (count > status.deadLettered.length) lines.push("      … (spot-meta dlq peek shows them all)");
    }
  }
  lines.push(
    status.settled
      ? "every row has reached an end"
      : "not every row has reached an end yet (--watch follows it)",
  );
  return `${lines.join("\n")}\n`;
}

export interface StatusProgress {
  update(status: ImportStatus): void;
  stop(): void;
}

/** A bar of the sent rows that reached an end, on a terminal; a line per look otherwise. */
export function createStatusProgress(stream: NodeJS.WriteStream): StatusProgress {
  const sent = (status: ImportStatus) =>
    status.rows - status.counts[RowFate.rejected] - status.counts[RowFate.supersededInFile];
  const ended = (status: ImportStatus) =>
    status.counts[RowFate.applied] + status.counts[RowFate.overtaken] + status.counts[RowFate.deadLettered];
  const payload = (status: ImportStatus) => ({
    deadLettered: number.format(status.counts[RowFate.deadLettered]),
    onTheWay: number.format(status.counts[RowFate.onTheWay] + status.counts[RowFate.notQueued]),
  });
  if (!stream.isTTY) {
    return {
      update: (status) =>
        stream.write(
          `import ${status.importId}: ${number.format(ended(status))}/${number.format(sent(status))} rows reached an end, ${payload(status).deadLettered} dead-lettered, ${payload(status).onTheWay} on the way\n`,
        ),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "import |{bar}| {value}/{total} rows reached an end | dead-lettered {deadLettered} | on the way {onTheWay}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return barReporter(bar, (status: ImportStatus) => ({
    total: sent(status),
    value: ended(status),
    payload: payload(status),
  }));
}
