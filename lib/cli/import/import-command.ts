/**
 * `spot-meta import <file.csv>`: bulk-enqueues order updates from a CSV file. A thin shell around
 * `importCsv`: it resolves the target queue, stops the import gracefully on the runner's first
 * Ctrl-C, prints the summary and returns the exit code ({@link importExitCode}).
 *
 * The import runs in a worker thread with a small young generation: its live heap is ~20 MB, but the
 * AWS SDK allocates ~25 KB a row, and V8's default young generation (up to 2 × 64 MB) and lazy old
 * generation let the process grow past 350 MB on a million rows. Sized here, it peaks at 180–190 MB
 * at the same speed (bench/import.ts). Node's flags would do the same, but for every command.
 */
import { on } from "node:events";
import { Worker } from "node:worker_threads";
import type { Command } from "commander";
import { SpotMetaError, UnexpectedAnswerError } from "../../lambda/errors.ts";
import { createProgress, type ProgressReporter } from "../../tools/csv-import/progress.ts";
import { formatSummary, type ImportSummary } from "../../tools/csv-import/summary.ts";
import { nonEmpty, positiveInteger } from "../shared/arguments.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { type TargetFlags, withTarget } from "../shared/options.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";
import { type QueueTarget, resolveTarget } from "../shared/target.ts";
import { ABORT, type ImportJob, type ImportReply } from "./import-job.ts";

/**
 * The import's heap: a small young generation keeps the SDK's garbage from inflating the process,
 * and the old generation's cap (25 times the import's live data) makes V8 collect it early.
 */
const IMPORT_HEAP = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 512 };

interface ImportFlags extends TargetFlags {
  rejects?: string;
  dryRun?: boolean;
  resume?: boolean;
  json?: boolean;
  concurrency: number;
  progress: boolean;
}

export function registerImportCommand(program: Command, io: CommandIo = processIo): void {
  const command = program
    .command("import")
    .description(
      "Put the order updates of a CSV file on the queue. Layouts: public_id,metadata (a JSON object per row) or public_id,<key>,<key>… (one column per metadata key).",
    )
    .argument("<file.csv>", "the CSV file");
  withTarget(command)
    .option("--rejects <path>", "where rejected rows go (default: <file>.rejects.csv)", nonEmpty)
    .option("--dry-run", "check every row and write the rejects file, send nothing")
    .option("--resume", "continue an interrupted import from <file>.checkpoint.json")
    .option("--json", "print the summary as JSON")
    .option("--concurrency <n>", "SendMessageBatch calls in flight", positiveInteger, 16)
    .option("--no-progress", "no progress on stderr")
    .action((file: string, flags: ImportFlags) =>
      runCommand(io, "import", (signal) => runImport(io, file, flags, signal), {
        stopping: "waiting for the batches in flight, then writing the checkpoint; --resume goes on",
      }),
    );
}

/**
 * The import's exit code: 2 when rows are left to send (stopped, or SQS did not take them: `--resume`
 * sends them), else 3 when rows were rejected (the rejects file lists them), else 0.
 */
export function importExitCode(summary: ImportSummary): number {
  if (summary.interrupted || summary.notQueued > 0) return EXIT_CODES.partial;
  if (summary.rejected > 0) return EXIT_CODES.needsAction;
  return EXIT_CODES.ok;
}

async function runImport(
  io: CommandIo,
  file: string,
  flags: ImportFlags,
  signal: AbortSignal,
): Promise<number> {
  const job: ImportJob = {
    file,
    target: resolveTargetFor(flags),
    dryRun: flags.dryRun ?? false,
    resume: flags.resume ?? false,
    rejectsPath: flags.rejects,
    concurrency: flags.concurrency,
    // Decided here: in the worker, stderr is a pipe to this thread, never a terminal.
    progress: !flags.progress ? "none" : io.interactive ? "bar" : "lines",
  };
  const worker = new Worker(new URL("./import-worker.ts", import.meta.url), {
    workerData: job,
    resourceLimits: IMPORT_HEAP,
  });
  const progress = createProgress(job.progress, undefined, undefined, job.dryRun);
  // The bar stops first (the runner aborts, then says it stops): drawn again after that line, it
  // would land over it and over the summary.
  const onAbort = () => {
    progress.stop();
    worker.postMessage(ABORT);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    // A bug in the worker rejects this with its error; a refusal (bad file, no queue…) is a reply.
    const reply = await lastReply(worker, progress);
    if (reply.kind === "refused") throw new SpotMetaError(reply.message);
    const { summary } = reply;
    io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return importExitCode(summary);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Draws the worker's progress until its last reply. */
async function lastReply(
  worker: Worker,
  progress: ProgressReporter,
): Promise<Exclude<ImportReply, { kind: "progress" }>> {
  try {
    // `on` queues what arrives while a reply is handled, and rejects with the worker's error.
    for await (const [reply] of on(worker, "message") as AsyncIterable<[ImportReply]>) {
      if (reply.kind !== "progress") return reply;
      progress.update(reply.counts);
    }
    throw new UnexpectedAnswerError("the import's worker ended without a reply");
  } finally {
    progress.stop();
  }
}

/** A dry run needs no queue; when one is named anyway, it is resolved (and reported). */
function resolveTargetFor(flags: ImportFlags): QueueTarget | undefined {
  if (!flags.dryRun) return resolveTarget(flags);
  try {
    return resolveTarget(flags);
  } catch {
    return undefined;
  }
}
