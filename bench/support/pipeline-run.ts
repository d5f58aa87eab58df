/**
 * One measured run of the local pipeline for the benchmarks: a fresh local stack (fauxqs, dynalite
 * unless switched off, the Spot sandbox), N updates queued before the pollers start, then the time
 * until every message has its final outcome. Outcomes are counted from the handler's own log lines
 * (the same lines CloudWatch would get), calls and their pace from the sandbox's request log.
 */
import type { HandlerConfigInput } from "../../lib/config.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { createTally, type RunTally } from "../../lib/local/run-tally.ts";
import { createLogger } from "../../lib/logger.ts";
import { Producer } from "../../lib/producer.ts";
import type { FaultPlan } from "../../lib/sandbox/types.ts";
import type { UpdateHandler } from "../../lib/update-handler.ts";

export interface PipelineRunOptions {
  /** Updates to send; each for its own seeded order unless `updates` says otherwise. */
  messages: number;
  /** The sandbox's fault plan (a fixed latency, a rate limit, faults). */
  faults: FaultPlan;
  /** Handler settings over the local stack's defaults. */
  handler: Partial<HandlerConfigInput>;
  /** Run the applied-updates ledger (dynalite). */
  ledger: boolean;
  /** @default 1 */
  pollers?: number;
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
  /** False when the run hit its timeout before every message had an outcome. */
  finished: boolean;
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
  const stack: LocalStack = await startLocalStack({
    autoStart: false,
    ledger: options.ledger,
    logger: createLogger({ level: "info", destination }),
    writeMetrics: () => {},
    sandbox: { seedCount: options.messages, faults: options.faults },
    handler: options.handler,
    eventSource: {
      pollers: options.pollers ?? 1,
      batchSize: options.batchSize ?? 10,
      batchingWindowMs: 20,
    },
    ...(options.wrapHandler === undefined ? {} : { wrapHandler: options.wrapHandler }),
  });
  try {
    await enqueue(stack, options.messages);
    const done = new Promise<boolean>((resolve) => {
      onSettled = () => resolve(true);
      setTimeout(() => resolve(false), options.timeoutMs ?? 120_000).unref();
    });
    const started = performance.now();
    stack.eventSource.start();
    const finished = await done;
    const seconds = (performance.now() - started) / 1000;
    const requests = stack.sandbox.requests;
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
      invocations: stack.eventSource.invocations,
      tally,
      finished,
    };
  } finally {
    await stack.stop();
  }
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
