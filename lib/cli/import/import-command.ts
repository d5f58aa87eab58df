/**
 * `spot-meta import <file.csv>`: bulk-enqueues order updates from a CSV file. A thin shell around
 * `importCsv`: it resolves the target queue, wires Ctrl-C to a graceful stop, prints the summary and
 * sets the exit code (0 all queued, 2 some rows rejected or not queued, 1 could not run, 130
 * interrupted).
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
import { EXIT_CODES, exitCodeFor, formatSummary } from "../../tools/csv-import/summary.ts";
import { positiveInteger } from "../shared/arguments.ts";
import { onCtrlC } from "../shared/ctrl-c.ts";
import { type QueueTarget, resolveTarget } from "../shared/target.ts";
import { ABORT, type ImportJob, type ImportReply } from "./import-job.ts";

/**
 * The import's heap: a small young generation keeps the SDK's garbage from inflating the process,
 * and the old generation's cap (25 times the import's live data) makes V8 collect it early.
 */
const IMPORT_HEAP = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 512 };

interface ImportFlags {
  queueUrl?: string;
  endpointUrl?: string;
  region?: string;
  outputs?: string;
  rejects?: string;
  dryRun?: boolean;
  resume?: boolean;
  json?: boolean;
  concurrency: number;
  progress: boolean;
}

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "Put the order updates of a CSV file on the queue. Layouts: public_id,metadata (a JSON object per row) or public_id,<key>,<key>… (one column per metadata key).",
    )
    .argument("<file.csv>", "the CSV file")
    .option(
      "--queue-url <url>",
      "the target queue (else SPOT_META_QUEUE_URL, --outputs, or the running `spot-meta dev`)",
    )
    .option("--endpoint-url <url>", "send the SQS calls here (default: the queue URL's own endpoint)")
    .option("--region <region>", "the queue's region (default: from the queue URL or the AWS configuration)")
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`, with a QueueUrl output")
    .option("--rejects <path>", "where rejected rows go (default: <file>.rejects.csv)")
    .option("--dry-run", "check every row and write the rejects file, send nothing")
    .option("--resume", "continue an interrupted import from <file>.checkpoint.json")
    .option("--json", "print the summary as JSON")
    .option("--concurrency <n>", "SendMessageBatch calls in flight", positiveInteger, 16)
    .option("--no-progress", "no progress on stderr")
    .action(async (file: string, flags: ImportFlags) => {
      process.exitCode = await runImport(file, flags);
    });
}

async function runImport(file: string, flags: ImportFlags): Promise<number> {
  let job: ImportJob;
  try {
    job = {
      file,
      target: resolveTargetFor(flags),
      dryRun: flags.dryRun ?? false,
      resume: flags.resume ?? false,
      rejectsPath: flags.rejects,
      concurrency: flags.concurrency,
      // Decided here: in the worker, stderr is a pipe to this thread, never a terminal.
      progress: !flags.progress ? "none" : process.stderr.isTTY ? "bar" : "lines",
    };
  } catch (error) {
    return refuse(error);
  }
  const worker = new Worker(new URL("./import-worker.ts", import.meta.url), {
    workerData: job,
    resourceLimits: IMPORT_HEAP,
  });
  const progress = createProgress(job.progress);
  const offCtrlC = onCtrlC((press) => {
    if (press > 1) process.exit(EXIT_CODES.interrupted);
    // The bar first: drawn again after the line, it would land over it and over the summary.
    progress.stop();
    process.stderr.write(
      "\nstopping: waiting for the batches in flight, then writing the checkpoint (Ctrl-C again to quit now)\n",
    );
    worker.postMessage(ABORT);
  });
  try {
    // A bug in the worker rejects this with its error; a refusal (bad file, no queue…) is a reply.
    const reply = await lastReply(worker, progress);
    if (reply.kind === "refused") return refuse(new SpotMetaError(reply.message));
    const { summary } = reply;
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return exitCodeFor(summary);
  } finally {
    offCtrlC();
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

function refuse(error: unknown): number {
  if (!(error instanceof SpotMetaError)) throw error;
  process.stderr.write(`spot-meta import: ${error.message}\n`);
  return EXIT_CODES.failed;
}

/** A dry run needs no queue; when one is named anyway, it is resolved (and reported). */
function resolveTargetFor(flags: ImportFlags): QueueTarget | undefined {
  const options = {
    queueUrl: flags.queueUrl,
    endpointUrl: flags.endpointUrl,
    region: flags.region,
    outputs: flags.outputs,
  };
  if (!flags.dryRun) return resolveTarget(options);
  try {
    return resolveTarget(options);
  } catch {
    return undefined;
  }
}
