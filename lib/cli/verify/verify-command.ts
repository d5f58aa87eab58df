/**
 * `spot-meta verify`: reads orders back from Spot and compares them with a CSV's last-wins rows
 * (`--file`) or with what the ledger says was applied last (`--ledger`), writing a drift report.
 * `--fix` re-enqueues each drifted order's row with its import's version. Exit code: 0 no drift, 2
 * the report lists orders (drift, missing at Spot, unreadable), 1 could not run, 130 stopped.
 */
import type { Command } from "commander";
import type { TokenProvider } from "../../lambda/token.ts";
import { readDevState } from "../../local/dev-state.ts";
import { removeCheckpoint } from "../../tools/verify/checkpoint.ts";
import { VerifyError } from "../../tools/verify/errors.ts";
import type { LedgerTable } from "../../tools/verify/ledger-source.ts";
import { OrderReader } from "../../tools/verify/order-reader.ts";
import { ReportFile } from "../../tools/verify/report-file.ts";
import { verifyOrders } from "../../tools/verify/verify-orders.ts";
import { positiveNumber } from "../shared/arguments.ts";
import { describeFailure } from "../shared/aws-failures.ts";
import { CTRL_C_EXIT_CODE, onCtrlC } from "../shared/ctrl-c.ts";
import { type LedgerFlags, ledgerClientFor } from "../shared/ledger.ts";
import { resolveSpot } from "../shared/spot-target.ts";
import { createVerifyProgress, formatSummary, type VerifyProgress } from "./verify-format.ts";
import { type PlanFlags, planRun } from "./verify-plan.ts";

export const VERIFY_EXIT_CODES = { clean: 0, drift: 2, failed: 1, stopped: CTRL_C_EXIT_CODE } as const;

/** Reads in flight at once: enough to keep the pace at Spot's latency, few enough to stop quickly. */
const CONCURRENCY = 8;

interface VerifyFlags extends LedgerFlags, PlanFlags {
  ledger?: boolean;
  rate: number;
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("Read orders back from Spot and compare them with a CSV's rows or with the ledger")
    .option("--file <csv>", "compare with the file's last valid row of each order")
    .option("--ledger", "compare with what the ledger says was applied last (every order it holds)")
    .option(
      "--ids <file>",
      "with --ledger: only these orders (one id a line; blank lines and # comments skipped)",
    )
    .option("--rate <n>", "reads per second at most", positiveNumber, 10)
    .option("--report <path>", "the drift report (default .spot-meta/verify/verify-<timestamp>.csv)")
    .option("--resume", "go on with an interrupted run of the same report")
    .option("--fix", "with --file: re-enqueue each drifted order's row with the import's version")
    .option("--json", "print the summary as JSON")
    .option(
      "--queue-url <url>",
      "for --fix: the source queue (else SPOT_META_QUEUE_URL, --outputs, or `spot-meta dev`)",
    )
    .option("--endpoint-url <url>", "send the SQS calls here (default: the queue URL's own endpoint)")
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`")
    .option("--region <region>", "the queue's and the ledger's region")
    .option("--ledger-table <name>", "the applied-updates ledger (else the running `spot-meta dev`'s)")
    .option("--ledger-endpoint-url <url>", "a non-AWS DynamoDB endpoint for --ledger-table")
    .action(async (flags: VerifyFlags) => {
      process.exitCode = await runVerify(flags);
    });
}

async function runVerify(flags: VerifyFlags): Promise<number> {
  const stop = new AbortController();
  let progress: VerifyProgress = { update() {}, stop() {} };
  const offCtrlC = onCtrlC((press) => {
    if (press > 1) process.exit(VERIFY_EXIT_CODES.stopped);
    // The bar first: drawn again after the line, it would land over it and over the summary.
    progress.stop();
    process.stderr.write(
      "\nstopping: the checkpoint is written, --resume goes on (Ctrl-C again to quit now)\n",
    );
    stop.abort();
  });
  const closers: (() => void)[] = [];
  try {
    checkFlags(flags);
    const ledger = ledgerOf(flags);
    if (ledger !== undefined) closers.push(() => ledger.client.destroy());
    const plan = await planRun(flags, ledger, closers);
    const report = new ReportFile(plan.reportPath, plan.resumeAt);
    closers.push(() => report.close());
    const reader = new OrderReader({ ...spotOf(), ceiling: flags.rate });
    if (!flags.json) progress = createVerifyProgress(process.stderr, plan.total, () => reader.perSecond);
    const started = performance.now();
    const { completed } = await verifyOrders({
      ...plan,
      reader,
      report,
      onProgress: (counts) => progress.update(counts),
      concurrency: CONCURRENCY,
      signal: stop.signal,
    }).finally(() => progress.stop());
    if (completed) removeCheckpoint(plan.reportPath);
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      against: plan.against,
      completed,
      report: plan.reportPath,
      counts: plan.counts,
      readsPerSecond: Math.round((plan.counts.checked / Math.max(seconds, 0.001)) * 10) / 10,
    };
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    if (!completed) return VERIFY_EXIT_CODES.stopped;
    const { drift, missingAtSpot, unreadable } = plan.counts;
    return drift + missingAtSpot + unreadable > 0 ? VERIFY_EXIT_CODES.drift : VERIFY_EXIT_CODES.clean;
  } catch (error) {
    const line = describeFailure(error);
    if (line === undefined) throw error;
    process.stderr.write(`spot-meta verify: ${line}\n`);
    return VERIFY_EXIT_CODES.failed;
  } finally {
    offCtrlC();
    for (const close of closers.reverse()) close();
  }
}

/** The ledger the flags name, else the running `spot-meta dev`'s. */
function ledgerOf(flags: VerifyFlags): LedgerTable | undefined {
  if (flags.ledgerTable !== undefined) return ledgerClientFor(flags);
  const dev = readDevState();
  if (dev?.ledgerTable === undefined) return undefined;
  return ledgerClientFor({
    ledgerTable: dev.ledgerTable,
    ledgerEndpointUrl: dev.ledgerEndpoint,
    region: dev.region,
  });
}

/** Spot's base URL and token, as the worker finds them: the environment, else the running dev stack. */
function spotOf(): { baseUrl: string; token: TokenProvider } {
  const { baseUrl, token } = resolveSpot();
  return { baseUrl, token };
}

function checkFlags(flags: VerifyFlags): void {
  const problems: string[] = [];
  if ((flags.file === undefined) === !flags.ledger)
    problems.push("name what to compare with: --file <csv> or --ledger");
  if (flags.ids !== undefined && !flags.ledger) problems.push("--ids goes with --ledger");
  if (flags.fix && flags.file === undefined)
    problems.push("--fix needs --file: the ledger holds digests, not the values to send again");
  if (flags.ledger && flags.ledgerTable === undefined && readDevState()?.ledgerTable === undefined)
    problems.push("--ledger: no ledger (--ledger-table, or a running `spot-meta dev`)");
  if (problems.length > 0) throw new VerifyError(problems.join("; "));
}
