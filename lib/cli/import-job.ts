/** What the import command's main thread and its worker say to each other (no heavy imports here). */
import type { ProgressMode } from "../csv-import/progress.ts";
import type { ImportSummary } from "../csv-import/summary.ts";
import type { QueueTarget } from "./target.ts";

export interface ImportJob {
  file: string;
  target: QueueTarget | undefined;
  dryRun: boolean;
  resume: boolean;
  rejectsPath: string | undefined;
  concurrency: number;
  progress: ProgressMode;
}

export type ImportReply = { kind: "done"; summary: ImportSummary } | { kind: "refused"; message: string };

/** The message that asks the import to stop gracefully (Ctrl-C). */
export const ABORT = "abort";
