/** How `spot-meta verify` shows its run: the summary on stdout, progress on stderr. */
import cliProgress from "cli-progress";
import { barReporter, lineEvery } from "../../tools/csv-import/progress.ts";
import type { VerifyCounts } from "../../tools/verify/types.ts";

const number = new Intl.NumberFormat("en-US");

/** Each count in words, in the order shown; those at 0 are left out. */
const COUNT_LINES: [keyof VerifyCounts, string][] = [
  ["matching", "match         Spot holds what it should"],
  ["drift", "drift         Spot holds other metadata (keys in the report)"],
  ["missingAtSpot", "missing       Spot does not know the order"],
  ["unreadable", "unreadable    Spot's answer could not be read, after retries"],
  ["overtaken", "overtaken     a newer update than the file's was applied: not drift"],
  ["unknown", "unknown       the ledger holds nothing to compare with (named in the report)"],
  ["requeued", "re-enqueued   by --fix, with the version that should have won"],
  ["overtakenMeanwhile", "left alone    by --fix: a newer update was applied meanwhile"],
  ["notQueued", "not queued    by --fix: the queue refused the message"],
];

export interface VerifySummary {
  against: string;
  completed: boolean;
  report: string;
  counts: VerifyCounts;
  readsPerSecond: number;
}

export function formatSummary(summary: VerifySummary): string {
  const { counts } = summary;
  const lines = [
    `verify against ${summary.against}: ${number.format(counts.checked)} orders checked${counts.passedOver > 0 ? `, ${number.format(counts.passedOver)} rows passed over (superseded in the file, or invalid)` : ""}`,
  ];
  for (const [key, words] of COUNT_LINES)
    if (counts[key] > 0 || key === "matching")
      lines.push(`  ${number.format(counts[key]).padStart(7)}  ${words}`);
  lines.push(`report: ${summary.report}`);
  if (!summary.completed)
    lines.push("stopped before the end: spot-meta verify … --resume --report <report> goes on");
  return `${lines.join("\n")}\n`;
}

export interface VerifyProgress {
  update(counts: VerifyCounts): void;
  stop(): void;
}

/** A bar on a terminal, a line every `intervalMs` otherwise. `total`: orders expected, when known. */
export function createVerifyProgress(
  stream: NodeJS.WriteStream,
  total: number | undefined,
  perSecond: () => number,
  intervalMs = 5_000,
): VerifyProgress {
  const done = (counts: VerifyCounts) => counts.checked + counts.passedOver;
  const found = (counts: VerifyCounts) => counts.drift + counts.missingAtSpot + counts.unreadable;
  if (!stream.isTTY || total === undefined) {
    return lineEvery<VerifyCounts>(
      stream,
      intervalMs,
      (counts) =>
        `verify: ${number.format(done(counts))}${total === undefined ? "" : `/${number.format(total)}`} done, ${number.format(found(counts))} in the report, ${perSecond().toFixed(1)} reads/s\n`,
    );
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "verify |{bar}| {value}/{total} | in the report {found} | {rate} reads/s | eta {eta_formatted}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return barReporter(bar, (counts: VerifyCounts) => ({
    total,
    value: done(counts),
    payload: { found: number.format(found(counts)), rate: perSecond().toFixed(1) },
  }));
}
