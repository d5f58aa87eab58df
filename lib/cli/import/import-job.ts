/** What the import command's main thread and its worker say to each other (no heavy imports here). */
import type { ProgressCounts, ProgressMode } from "../../tools/csv-import/progress.ts";
import type { ImportSummary } from "../../tools/csv-import/summary.ts";
import type { QueueTarget } from "../shared/target.ts";

export interface ImportJob {
  file: string;
  target: QueueTarget | undefined;
  dryRun: boolean;
  resume: boolean;
  rejectsPath: string | undefined;
  concurrency: number;
  progress: ProgressMode;
}

/** The worker's messages: progress while it runs (drawn by the main thread, which owns the terminal), then one end. */
export type ImportReply =
  | { kind: "progress"; counts: ProgressCounts }
  | { kind: "done"; summary: ImportSummary }
  | { kind: "refused"; message: string };

/** The message that asks the import to stop gracefully (Ctrl-C). */
export const ABORT = "abort";
