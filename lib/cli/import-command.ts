/**
 * `spot-meta import <file.csv>`: bulk-enqueues order updates from a CSV file. A thin shell around
 * {@link importCsv}: it resolves the target queue, wires Ctrl-C to a graceful stop, prints the
 * summary and sets the exit code (0 all queued, 2 some rows rejected or not queued, 1 could not
 * run, 130 interrupted).
 */
import { type Command, InvalidArgumentError } from "commander";
import { importCsv } from "../csv-import/import-csv.ts";
import { EXIT_CODES, exitCodeFor, formatSummary } from "../csv-import/summary.ts";
import { SpotMetaError } from "../errors.ts";
import { type QueueTarget, resolveTarget, sqsClientFor } from "./target.ts";

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
    .option("--endpoint-url <url>", "a non-AWS SQS endpoint for --queue-url")
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
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
    process.stderr.write(
      "\nstopping: waiting for the batches in flight, then writing the checkpoint (Ctrl-C again to quit now)\n",
    );
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    const target = resolveTargetFor(flags);
    const summary = await importCsv({
      file,
      target: target === undefined ? undefined : { sqs: sqsClientFor(target), queueUrl: target.queueUrl },
      dryRun: flags.dryRun ?? false,
      resume: flags.resume ?? false,
      rejectsPath: flags.rejects,
      concurrency: flags.concurrency,
      progress: flags.progress ? "auto" : "none",
      signal: controller.signal,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return exitCodeFor(summary);
  } catch (error) {
    if (!(error instanceof SpotMetaError)) throw error;
    process.stderr.write(`spot-meta import: ${error.message}\n`);
    return EXIT_CODES.failed;
  } finally {
    process.off("SIGINT", onSigint);
  }
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

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}
