/**
 * One `spot-meta verify` run: each order's expected metadata against what Spot holds, findings
 * committed in order to the report and the counts, a checkpoint every second and when it stops.
 */

import { writeCheckpoint } from "./checkpoint.ts";
import { compareMetadata, settledWithoutReading } from "./compare.ts";
import { VerifyError } from "./errors.ts";
import type { Fixer } from "./fix.ts";
import type { OrderReader } from "./order-reader.ts";
import type { ReportFile } from "./report-file.ts";
import { runChecks } from "./run-checks.ts";
import {
  type Finding,
  type Position,
  ReportStatus,
  type Step,
  type Subject,
  type VerifyCounts,
} from "./types.ts";

/** How often the checkpoint is written. */
const CHECKPOINT_EVERY_MS = 1_000;

export interface VerifyOrdersOptions {
  steps: AsyncIterable<Step>;
  reader: OrderReader;
  /** Given with `--fix`: re-enqueues each drifted order's row. */
  fixer?: Fixer;
  report: ReportFile;
  /** What the run compares with, as its checkpoint names it. */
  against: string;
  /** Where the run starts, and the counts so far (a resumed run's). */
  position: Position;
  counts: VerifyCounts;
  /** The update that should have won, in words: `line 4 of orders.csv`, `applied … (message …)`. */
  describeWinner(subject: Subject): string;
  onProgress?(counts: VerifyCounts): void;
  concurrency: number;
  signal: AbortSignal;
}

/**
 * @returns whether every order was checked (false: stopped; the checkpoint says where)
 * @throws VerifyError when Spot refuses every read (the token, a redirect), after checkpointing
 */
export async function verifyOrders(options: VerifyOrdersOptions): Promise<{ completed: boolean }> {
  const { counts, report } = options;
  let position = options.position;
  const checkpoint = () => {
    report.sync();
    writeCheckpoint(report.path, { against: options.against, position, counts, reportBytes: report.bytes });
  };
  const timer = setInterval(checkpoint, CHECKPOINT_EVERY_MS);
  try {
    const result = await runChecks({
      steps: options.steps,
      check: (subject, signal) => check(subject, options, signal),
      commit: (step, finding) => {
        tally(step, finding, options);
        position = step.after;
        options.onProgress?.(counts);
      },
      concurrency: options.concurrency,
      signal: options.signal,
    });
    return { completed: result.completed };
  } finally {
    clearInterval(timer);
    checkpoint();
  }
}

async function check(
  subject: Subject,
  options: VerifyOrdersOptions,
  signal: AbortSignal,
): Promise<Finding | undefined> {
  const settled = settledWithoutReading(subject.expected);
  if (settled !== undefined) return settled;
  const read = await options.reader.read(subject.publicId, signal);
  if (read === undefined) return undefined;
  switch (read.kind) {
    case "systemic":
      throw new VerifyError(`Spot refuses the reads, so none can be checked: ${read.reason}`);
    case "missing":
      return { kind: "missing" };
    case "unreadable":
      return { kind: "unreadable", reason: read.reason };
  }
  const finding = compareMetadata(read.metadata, subject.expected);
  if (finding.kind !== "drift" || options.fixer === undefined) return finding;
  return { ...finding, fix: await options.fixer.fix(subject) };
}

function tally(step: Step, finding: Finding | undefined, options: VerifyOrdersOptions): void {
  const { counts, report } = options;
  const subject = step.subject;
  if (subject === undefined || finding === undefined) {
    counts.passedOver++;
    return;
  }
  counts.checked++;
  const row = (status: ReportStatus, keys: string[]) =>
    report.append({
      publicId: subject.publicId,
      status,
      keys,
      shouldHaveWon: options.describeWinner(subject),
    });
  switch (finding.kind) {
    case "match":
      counts.matching++;
      return;
    case "overtaken":
      counts.overtaken++;
      return;
    case "unknown":
      counts.unknown++;
      row(ReportStatus.unknown, [finding.reason]);
      return;
    case "missing":
      counts.missingAtSpot++;
      row(ReportStatus.missingAtSpot, []);
      return;
    case "unreadable":
      counts.unreadable++;
      row(ReportStatus.unreadable, [finding.reason]);
      return;
    case "drift":
      counts.drift++;
      if (finding.fix === "requeued") counts.requeued++;
      if (finding.fix === "overtaken-meanwhile") counts.overtakenMeanwhile++;
      if (finding.fix === "not-queued") counts.notQueued++;
      row(ReportStatus.drift, finding.keys);
  }
}
