/**
 * One measured run of the local pipeline for the benchmarks: a fresh local stack (fauxqs, dynalite
 * unless switched off, the Spot sandbox), N updates queued before the pollers start, then the time
 * until every message has its final outcome (or a fixed time). Outcomes are counted from the
 * handler's own log lines (the same lines CloudWatch would get), calls and their pace from the
 * sandbox's request log.
 */
import type { HandlerConfigInput } from "../../lib/lambda/config.ts";
import { createLogger } from "../../lib/lambda/logger.ts";
import type { EmfDocument } from "../../lib/lambda/metrics.ts";
import {
  createUpdateHandler,
  type HandlerOverrides,
  type UpdateHandler,
} from "../../lib/lambda/update-handler.ts";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../lib/local/local-stack.ts";
import { createTally, type RunTally } from "../../lib/local/run-tally.ts";
import type { FaultPlan, SandboxRequest } from "../../lib/local/sandbox/types.ts";
import { QueuePoller } from "../../lib/tools/poller.ts";
import { Producer } from "../../lib/tools/producer.ts";

/** The local stack's function timeout. */
const FUNCTION_TIMEOUT_MS = 15_000;

export interface PipelineRunOptions {
  /** Updates to send; each for its own seeded order unless `updates` says otherwise. */
  messages: number;
  /** The sandbox's fault plan (a fixed latency, a rate limit, faults). */
  faults: FaultPlan;
  /** Handler settings over the local stack's defaults. */
  handler: Partial<HandlerConfigInput>;
  /** Run the applied-updates ledger (dynalite). */
  ledger: boolean;
  /** Pollers sharing one handler (one instance's pacer). @default 1 */
  pollers?: number;
  /**
   * Instances, each a poller with a handler (and a pacer) of its own, as each Lambda instance has;
   * instead of `pollers`.
   */
  instances?: number;
  /** End the run after this long, whether or not every message has its outcome. */
  stopAfterMs?: number;
  /** @default 10 */
  batchSize?: number;
  /** Give up (and say so) after this long. @default 120000 */
  timeoutMs?: number;
  wrapHandler?: (handler: UpdateHandler) => UpdateHandler;
}

export interface PipelineRun {
  seconds: number;
  messagesPerSecond: number;
  /** Requests the sandbox received (each HTTP attempt, retries included). */
  calls: number;
  /** The most requests the sandbox received in any 1-s window (sliding, to the millisecond). */
  maxRequestsPerSecond: number;
  /** Requests answered 429 by the sandbox's rate limit. */
  rateLimited: number;
  /** The most requests not refused by the rate limit in any 1-s window. */
  maxAcceptedPerSecond: number;
  invocations: number;
  tally: RunTally;
  /** False when the run hit its timeout (or its stop) before every message had an outcome. */
  finished: boolean;
  /** Every request the sandbox received: when, and whether its rate limit refused it. */
  requests: Array<{ receivedAt: number; refused: boolean }>;
  /** Each instance's pace after each of its invocations (the `PacePerSecond` metric). */
  paces: Array<{ instance: number; at: number; perSecond: number }>;
}

/** Runs the pipeline once over a fresh local stack; stops everything it started. */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineRun> {
  const tally = createTally();
  let settled = 0;
  let onSettled: (() => void) | undefined;
  const destination = {
    write(line: string) {
      tally.add(line);
      settled = tally.applied + tally.superseded + tally.deadLettered;
      if (settled >= options.messages) onSettled?.();
    },
  };
  const paces: PipelineRun["paces"] = [];
  const metricsOf = (instance: number) => (document: EmfDocument) => {
    const perSecond = (document as { PacePerSecond?: number }).PacePerSecond;
    if (perSecond !== undefined) paces.push({ instance, at: Date.now(), perSecond });
  };
  const logger = createLogger({ level: "info", destination });
  const stack = await startPipelineStack(options, { logger, onMetrics: metricsOf(0) });
  // The instances share one ledger client, as they would share DynamoDB.
  const ledgerClient = options.instances === undefined ? undefined : stack.dynamoDb?.client();
  const sources =
    options.instances === undefined
      ? [stack.eventSource]
      : Array.from({ length: options.instances }, (_, instance) =>
          instanceOf(stack, options, { logger, onMetrics: metricsOf(instance), dynamoDb: ledgerClient }),
        );
  try {
    await enqueue(stack, options.messages);
    const done = new Promise<boolean>((resolve) => {
      onSettled = () => resolve(true);
      setTimeout(() => resolve(false), options.stopAfterMs ?? options.timeoutMs ?? 120_000).unref();
    });
    const started = performance.now();
    for (const source of sources) source.start();
    const finished = await done;
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(sources.map((source) => source.stop()));
    return figuresOf(stack.sandbox.requests, {
      seconds,
      invocations: sources.reduce((sum, source) => sum + source.invocations, 0),
      tally,
      finished,
      paces,
    });
  } finally {
    await Promise.all(sources.map((source) => source.stop()));
    ledgerClient?.destroy();
    await stack.stop();
  }
}

/** A fresh local stack for the run, its pollers not started: they start once the updates are queued. */
function startPipelineStack(
  options: PipelineRunOptions,
  output: Pick<LocalStackOptions, "logger" | "onMetrics">,
): Promise<LocalStack> {
  return startLocalStack({
    autoStart: false,
    ledger: options.ledger,
    ...output,
    sandbox: { seedCount: options.messages, faults: options.faults },
    handler: options.handler,
    eventSource: {
      pollers: options.pollers ?? 1,
      batchSize: options.batchSize ?? 10,
      batchingWindowMs: 20,
    },
    ...(options.wrapHandler === undefined ? {} : { wrapHandler: options.wrapHandler }),
  });
}

/** The run's figures: its outcomes' rate, and the calls and their pace from the sandbox's request log. */
function figuresOf(
  requests: readonly SandboxRequest[],
  run: Pick<PipelineRun, "seconds" | "invocations" | "tally" | "finished" | "paces">,
): PipelineRun {
  const { seconds, tally } = run;
  return {
    seconds,
    messagesPerSecond: (tally.applied + tally.superseded + tally.deadLettered) / seconds,
    calls: requests.length,
    maxRequestsPerSecond: maxInAnyWindow(
      requests.map((r) => r.receivedAt),
      1000,
    ),
    rateLimited: requests.filter((r) => r.fault === "rate_limit").length,
    maxAcceptedPerSecond: maxInAnyWindow(
      requests.filter((r) => r.fault !== "rate_limit").map((r) => r.receivedAt),
      1000,
    ),
    invocations: run.invocations,
    tally,
    finished: run.finished,
    requests: requests.map((r) => ({ receivedAt: r.receivedAt, refused: r.fault === "rate_limit" })),
    paces: run.paces,
  };
}

/** A poller with a handler of its own on the stack's queues, sandbox and ledger: one Lambda instance. */
function instanceOf(
  stack: LocalStack,
  options: PipelineRunOptions,
  overrides: Pick<HandlerOverrides, "logger" | "onMetrics" | "dynamoDb">,
): QueuePoller {
  const handler = createUpdateHandler(stack.config, {
    ...overrides,
    sqs: stack.sqs,
    sqsEndpoint: stack.queues.endpoint,
    service: "spot-order-metadata-bench",
  });
  return new QueuePoller({
    sqs: stack.sqs,
    queueUrl: stack.queues.queueUrl,
    queueArn: stack.queues.queueArn,
    region: stack.queues.region,
    handler: options.wrapHandler ? options.wrapHandler(handler) : handler,
    batchSize: options.batchSize ?? 10,
    batchingWindowMs: 20,
    functionTimeoutMs: FUNCTION_TIMEOUT_MS,
  });
}

/** One update per seeded order (O0000001 …), through the typed producer. */
async function enqueue(stack: LocalStack, messages: number): Promise<void> {
  const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "bench" });
  const issuedAt = new Date().toISOString();
  const results = await producer.enqueueMany(
    Array.from({ length: messages }, (_, i) => ({
      publicId: `O${String(i + 1).padStart(7, "0")}`,
      metadata: { clinic: `clinic-${i % 17}`, n: String(i + 1) },
      issuedAt,
    })),
  );
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new Error(`${failed} updates could not be queued`);
}

/** The largest number of timestamps inside any window of `windowMs` (half-open, sliding). */
export function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** `1,234` */
export function fmt(n: number, digits = 0): string {
  return new Intl.NumberFormat("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(n);
}

/** `min–max` of a list of figures. */
export function range(values: number[], digits = 0): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? fmt(low, digits) : `${fmt(low, digits)}–${fmt(high, digits)}`;
}

/** Reads `--name value` (or `--name=value`) as a number from the command line. */
export function numberFlag(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === `--${name}`) return Number(args[i + 1]);
    if (arg.startsWith(`--${name}=`)) return Number(arg.slice(name.length + 3));
  }
  return fallback;
}

/** Reads `--name a,b,c` (or `--name=a,b,c`) as a list from the command line. */
export function listFlag(name: string, fallback: string[]): string[] {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === `--${name}`) return String(args[i + 1]).split(",");
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3).split(",");
  }
  return fallback;
}
