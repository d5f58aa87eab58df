/**
 * `spot-meta verify`: reads orders back from Spot and compares them with a CSV's last-wins rows
 * (`--file`) or with what the ledger says was applied last (`--ledger`), writing a drift report.
 * `--fix` re-enqueues each drifted order's row with its import's version. Exit code: 0 no drift, 3
 * the report lists orders (drift, missing at Spot, unreadable), 1 could not run, 2 stopped.
 */
import type { Command } from "commander";
import type { TokenProvider } from "../../lambda/token.ts";
import { removeCheckpoint } from "../../tools/verify/checkpoint.ts";
import { VerifyError } from "../../tools/verify/errors.ts";
import { OrderReader } from "../../tools/verify/order-reader.ts";
import { ReportFile } from "../../tools/verify/report-file.ts";
import { verifyOrders } from "../../tools/verify/verify-orders.ts";
import { nonEmpty, positiveNumber } from "../shared/arguments.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { type LedgerFlags, ledgerClientFor, resolveLedger } from "../shared/ledger.ts";
import { withLedger, withTarget } from "../shared/options.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";
import { resolveSpot } from "../shared/spot-target.ts";
import { resolveTarget, TargetNotFoundError } from "../shared/target.ts";
import { createVerifyProgress, formatSummary, type VerifyProgress } from "./verify-format.ts";
import { type PlanFlags, planRun } from "./verify-plan.ts";

/** verify's exit codes: the CLI's one table (shared/exit-codes.ts). */
export const VERIFY_EXIT_CODES = {
  clean: EXIT_CODES.ok,
  drift: EXIT_CODES.needsAction,
  failed: EXIT_CODES.couldNotRun,
  stopped: EXIT_CODES.partial,
} as const;

/** Reads in flight at once: enough to keep the pace at Spot's latency, few enough to stop quickly. */
const CONCURRENCY = 8;

interface VerifyFlags extends LedgerFlags, PlanFlags {
  ledger?: boolean;
  rate: number;
  json?: boolean;
}

export function registerVerifyCommand(program: Command, io: CommandIo = processIo): void {
  const command = program
    .command("verify")
    .description("Read orders back from Spot and compare them with a CSV's rows or with the ledger")
    .option("--file <csv>", "compare with the file's last valid row of each order", nonEmpty)
    .option("--ledger", "compare with what the ledger says was applied last (every order it holds)")
    .option(
      "--ids <file>",
      "with --ledger: only these orders (one id a line; blank lines and # comments skipped)",
      nonEmpty,
    )
    .option("--rate <n>", "reads per second at most", positiveNumber, 10)
    .option(
      "--report <path>",
      "the drift report (default .spot-meta/verify/verify-<timestamp>.csv)",
      nonEmpty,
    )
    .option("--resume", "go on with an interrupted run of the same report")
    .option("--fix", "with --file: re-enqueue each drifted order's row with the import's version")
    .option("--json", "print the summary as JSON");
  withLedger(withTarget(command, { use: "for --fix" }), "for --ledger").action((flags: VerifyFlags) =>
    runCommand(io, "verify", (signal) => runVerify(io, flags, signal), {
      stopping: "the checkpoint is written, --resume goes on",
    }),
  );
}

async function runVerify(io: CommandIo, flags: VerifyFlags, signal: AbortSignal): Promise<number> {
  let progress: VerifyProgress = { update() {}, stop() {} };
  // The bar stops first: drawn again after the "stopping" line, it would land over it and the summary.
  signal.addEventListener("abort", () => progress.stop(), { once: true });
  const closers: (() => void)[] = [];
  try {
    const ledger = ledgerClientFor(resolveLedger(flags, queuesOf(flags)));
    if (ledger !== undefined) closers.push(() => ledger.client.destroy());
    checkFlags(flags, ledger !== undefined);
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
      signal,
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
    io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    if (!completed) return VERIFY_EXIT_CODES.stopped;
    const { drift, missingAtSpot, unreadable } = plan.counts;
    return drift + missingAtSpot + unreadable > 0 ? VERIFY_EXIT_CODES.drift : VERIFY_EXIT_CODES.clean;
  } finally {
    for (const close of closers.reverse()) close();
  }
}

/**
 * Where the queues named for `--fix` come from, as every command finds them (the dev stack's
 * ledger goes only with the dev stack's queues); undefined when no queue is named or running.
 */
function queuesOf(flags: VerifyFlags): string | undefined {
  try {
    return resolveTarget(flags).origin;
  } catch (error) {
    if (error instanceof TargetNotFoundError) return undefined;
    throw error;
  }
}

/** Spot's base URL and token, as the worker finds them: the environment, else the running dev stack. */
function spotOf(): { baseUrl: string; token: TokenProvider } {
  const { baseUrl, token } = resolveSpot();
  return { baseUrl, token };
}

function checkFlags(flags: VerifyFlags, hasLedger: boolean): void {
  const problems: string[] = [];
  if ((flags.file === undefined) === !flags.ledger)
    problems.push("name what to compare with: --file <csv> or --ledger");
  if (flags.ids !== undefined && !flags.ledger) problems.push("--ids goes with --ledger");
  if (flags.fix && flags.file === undefined)
    problems.push("--fix needs --file: the ledger holds digests, not the values to send again");
  if (flags.ledger && !hasLedger)
    problems.push(
      "--ledger: no ledger (--ledger-table, SPOT_META_LEDGER_TABLE, --outputs, or a running `spot-meta dev`)",
    );
  if (problems.length > 0) throw new VerifyError(problems.join("; "));
}
