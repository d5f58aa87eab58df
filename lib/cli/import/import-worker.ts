/**
 * The import itself, in the worker thread `spot-meta import` starts (see import-command.ts for why
 * a worker). It receives the job as `workerData`, {@link ABORT} as a message on Ctrl-C, and answers
 * with one {@link ImportReply}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SpotMetaError } from "../../lambda/errors.ts";
import { importCsv } from "../../tools/csv-import/import-csv.ts";
import { RECEIPTS_DIRECTORY } from "../../tools/csv-import/receipt.ts";
import { sqsClientFor } from "../shared/sqs-client.ts";
import { ABORT, type ImportJob, type ImportReply } from "./import-job.ts";

if (parentPort !== null) {
  const port = parentPort;
  const job = workerData as ImportJob;
  const controller = new AbortController();
  port.on("message", (message) => {
    if (message === ABORT) controller.abort();
  });
  const sqs = job.target === undefined ? undefined : sqsClientFor(job.target);
  try {
    const summary = await importCsv({
      file: job.file,
      target:
        sqs === undefined || job.target === undefined ? undefined : { sqs, queueUrl: job.target.queueUrl },
      dryRun: job.dryRun,
      resume: job.resume,
      rejectsPath: job.rejectsPath,
      concurrency: job.concurrency,
      // The main thread draws the progress: a worker's stderr is a pipe, never the terminal.
      progress:
        job.progress === "none"
          ? "none"
          : {
              update: (counts) => port.postMessage({ kind: "progress", counts } satisfies ImportReply),
              stop() {},
            },
      signal: controller.signal,
      receiptsDirectory: RECEIPTS_DIRECTORY,
    });
    port.postMessage({ kind: "done", summary } satisfies ImportReply);
  } catch (error) {
    // Anything else is a bug: it surfaces in the main thread as the worker's error, with its stack.
    if (!(error instanceof SpotMetaError)) throw error;
    port.postMessage({ kind: "refused", message: error.message } satisfies ImportReply);
  } finally {
    sqs?.destroy();
    port.close();
  }
}
