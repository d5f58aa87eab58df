/**
 * `spot-meta verify`: reads orders back from Spot and compares them with a CSV's last-wins rows
 * (`--file`) or with what the ledger says was applied last (`--ledger`), writing a drift report.
 * `--fix` re-enqueues each drifted order's row with its import's version. Exit code: 0 no drift, 2
 * the report lists orders (drift, missing at Spot, unreadable), 1 could not run, 130 stopped.
 */
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { secretsManagerToken, staticToken, type TokenProvider } from "../lambda/token.ts";
import { readDevState } from "../local/dev-state.ts";
import { appliedVersions } from "../tools/applied-versions.ts";
import { fingerprint } from "../tools/csv-import/checkpoint.ts";
import { findReceipt, type ImportReceipt } from "../tools/csv-import/receipt.ts";
import { Producer } from "../tools/producer.ts";
import { readCheckpoint, removeCheckpoint } from "../tools/verify/checkpoint.ts";
import { VerifyError } from "../tools/verify/errors.ts";
import { fileSteps } from "../tools/verify/file-source.ts";
import { Fixer } from "../tools/verify/fix.ts";
import { idSteps, type LedgerTable, scanSteps } from "../tools/verify/ledger-source.ts";
import { OrderReader } from "../tools/verify/order-reader.ts";
import { ReportFile } from "../tools/verify/report-file.ts";
import {
  type Position,
  type Step,
  type Subject,
  type VerifyCounts,
  zeroCounts,
} from "../tools/verify/types.ts";
import { verifyOrders } from "../tools/verify/verify-orders.ts";
import { positiveNumber } from "./arguments.ts";
import { describeFailure } from "./aws-failures.ts";
import { type LedgerFlags, ledgerClientFor } from "./dlq-ledger.ts";
import { sqsClientFor } from "./sqs-client.ts";
import { resolveTarget } from "./target.ts";
import { createVerifyProgress, formatSummary } from "./verify-format.ts";

export const VERIFY_EXIT_CODES = { clean: 0, drift: 2, failed: 1, stopped: 130 } as const;

/** Reads in flight at once: enough to keep the pace at Spot's latency, few enough to stop quickly. */
const CONCURRENCY = 8;

interface VerifyFlags extends LedgerFlags {
  file?: string;
  ledger?: boolean;
  ids?: string;
  rate: number;
  report?: string;
  resume?: boolean;
  fix?: boolean;
  json?: boolean;
  queueUrl?: string;
  endpointUrl?: string;
  outputs?: string;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("Read orders back from Spot and compare them with a CSV's rows or with the ledger")
    .option("--file <csv>", "compare with the file's last row of each order")
    .option("--ledger", "compare with what the ledger says was applied last (every order it holds)")
    .option("--ids <file>", "with --ledger: only these orders (one id a line)")
    .option("--rate <n>", "reads per second at most", positiveNumber, 10)
    .option("--report <path>", "the drift report (default verify-<timestamp>.csv)")
    .option("--resume", "go on with an interrupted run of the same report")
    .option("--fix", "with --file: re-enqueue each drifted order's row with the import's version")
    .option("--json", "print the summary as JSON")
    .option(
      "--queue-url <url>",
      "for --fix: the source queue (else SPOT_META_QUEUE_URL, --outputs, or `spot-meta dev`)",
    )
    .option("--endpoint-url <url>", "a non-AWS SQS endpoint")
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
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(VERIFY_EXIT_CODES.stopped);
    process.stderr.write(
      "\nstopping: the checkpoint is written, --resume goes on (Ctrl-C again to quit now)\n",
    );
    stop.abort();
  };
  process.on("SIGINT", onSigint);
  const closers: (() => void)[] = [];
  try {
    checkFlags(flags);
    const ledger = ledgerOf(flags);
    if (ledger !== undefined) closers.push(() => ledger.client.destroy());
    const plan = await planRun(flags, ledger, closers);
    const report = new ReportFile(plan.reportPath, plan.resumeAt);
    closers.push(() => report.close());
    const reader = new OrderReader({ ...spotOf(), ceiling: flags.rate });
    const progress = flags.json
      ? { update() {}, stop() {} }
      : createVerifyProgress(process.stderr, plan.total, () => reader.perSecond);
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
    process.off("SIGINT", onSigint);
    for (const close of closers.reverse()) close();
  }
}

interface RunPlan {
  against: string;
  reportPath: string;
  resumeAt: number | undefined;
  total: number | undefined;
  steps: AsyncIterable<Step>;
  position: Position;
  counts: VerifyCounts;
  fixer?: Fixer;
  describeWinner(subject: Subject): string;
}

/** What to compare with, where to start, and the report: all checked before the first read. */
async function planRun(
  flags: VerifyFlags,
  ledger: LedgerTable | undefined,
  closers: (() => void)[],
): Promise<RunPlan> {
  const against =
    flags.file !== undefined
      ? `file:${resolve(flags.file)}`
      : flags.ids !== undefined
        ? `ids:${resolve(flags.ids)}`
        : "ledger";
  if (flags.resume && flags.report === undefined)
    throw new VerifyError("--resume needs the --report of the run to go on with");
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const reportPath = resolve(flags.report ?? `verify-${stamp}.csv`);
  const resumed = flags.resume ? readCheckpoint(reportPath, against) : undefined;
  const common = {
    against,
    reportPath,
    resumeAt: resumed?.reportBytes,
    counts: resumed?.counts ?? zeroCounts(),
  };
  if (flags.file !== undefined)
    return { ...common, ...(await fileRun(flags, flags.file, ledger, resumed, closers)) };
  return { ...common, ...ledgerRun(flags, ledger as LedgerTable, resumed) };
}

type Resumed = ReturnType<typeof readCheckpoint> | undefined;

/** Checks the ledger's orders: all of them (a Scan, resumable at its last key), or those of `--ids`. */
function ledgerRun(flags: VerifyFlags, table: LedgerTable, resumed: Resumed) {
  if (flags.ids !== undefined) {
    const position = (resumed?.position as number | undefined) ?? 0;
    return {
      total: undefined,
      position,
      steps: idSteps(table, flags.ids, position),
      describeWinner: appliedWinner,
    };
  }
  const position = resumed === undefined ? {} : resumed.position;
  const from =
    position === null || Object.keys(position).length === 0
      ? undefined
      : (position as Record<string, unknown>);
  const steps = position === null ? emptySteps() : scanSteps(table, from);
  return { total: undefined, position, steps, describeWinner: appliedWinner };
}

/** Checks the file's last row of each order; with `--fix`, re-sends those that drifted. */
async function fileRun(
  flags: VerifyFlags,
  file: string,
  ledger: LedgerTable | undefined,
  resumed: Resumed,
  closers: (() => void)[],
) {
  const receipt = await receiptOf(file);
  const issuedAt = receipt === undefined ? undefined : Date.parse(receipt.startedAt);
  const position = (resumed?.position as number | undefined) ?? 0;
  const { rows, steps } = await fileSteps({
    file,
    from: position,
    ...(issuedAt === undefined ? {} : { issuedAt }),
    ...(ledger === undefined
      ? {}
      : { appliedVersions: (ids: string[]) => appliedVersions(ledger.client, ledger.table, ids) }),
  });
  const name = basename(file);
  const describeWinner = (subject: Subject) =>
    subject.expected.kind === "row" ? `line ${subject.expected.line} of ${name}` : "";
  if (!flags.fix) return { total: rows, position, steps, describeWinner };
  if (issuedAt === undefined)
    throw new VerifyError(
      `--fix: no import receipt of ${file} here, so the version its rows were sent with is unknown`,
    );
  const target = resolveTarget(flags);
  const sqs = sqsClientFor(target);
  closers.push(() => sqs.destroy());
  const producer = new Producer({ sqs, queueUrl: target.queueUrl, source: "spot-meta verify --fix" });
  return {
    total: rows,
    position,
    steps,
    describeWinner,
    fixer: new Fixer({ producer, ledger, issuedAt, fileName: name }),
  };
}

function appliedWinner(subject: Subject): string {
  const { expected } = subject;
  if (expected.kind !== "applied") return "";
  return `applied ${new Date(expected.version.issuedAt).toISOString()} (message ${expected.messageId})`;
}

async function* emptySteps(): AsyncGenerator<Step> {}

/** The latest import of the file, if its receipt is here and the file is still what was imported. */
async function receiptOf(file: string): Promise<ImportReceipt | undefined> {
  let receipt: ImportReceipt;
  try {
    receipt = findReceipt(file);
  } catch {
    return undefined;
  }
  if ((await fingerprint(file)).sha256 === receipt.sha256) return receipt;
  process.stderr.write(
    `spot-meta verify: ${file} changed since import ${receipt.id}: its version is unknown\n`,
  );
  return undefined;
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
  const env = process.env;
  const baseUrl = env.SPOT_META_SPOT_BASE_URL;
  if (baseUrl !== undefined && baseUrl !== "") {
    if (env.SPOT_META_SPOT_TOKEN) return { baseUrl, token: staticToken(env.SPOT_META_SPOT_TOKEN) };
    if (env.SPOT_META_SPOT_TOKEN_SECRET_ID)
      return { baseUrl, token: secretsManagerToken(env.SPOT_META_SPOT_TOKEN_SECRET_ID) };
    throw new VerifyError(
      "SPOT_META_SPOT_BASE_URL is set but no token: set SPOT_META_SPOT_TOKEN_SECRET_ID (or SPOT_META_SPOT_TOKEN locally)",
    );
  }
  const dev = readDevState();
  if (dev !== undefined) return { baseUrl: dev.sandboxUrl, token: staticToken(dev.sandboxToken) };
  throw new VerifyError(
    "no Spot to read: set SPOT_META_SPOT_BASE_URL and its token, or start `spot-meta dev` here",
  );
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
