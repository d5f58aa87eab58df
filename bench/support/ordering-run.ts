/**
 * One run of the ordering benchmark (bench/ordering.ts): the local stack `spot-meta dev` starts
 * (fauxqs with the stack's queues, the ledger on dynalite, the Spot sandbox, here with faults) and
 * no consumer of its own; N `spot-meta worker` processes on its queue; every order's versions sent
 * shuffled through the producer; then the time until the source queue is empty, what Spot holds,
 * and what the workers logged. Everything it starts is stopped before it returns, or killed when
 * the process is interrupted or exits.
 */
import { readConfig } from "../../lib/lambda/config.ts";
import { silentLogger } from "../../lib/lambda/logger.ts";
import { DEFAULT_QUEUE_SETTINGS } from "../../lib/lambda/queue-settings.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import type { Fault } from "../../lib/local/sandbox/types.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { type DeadLetter, drainQueue } from "../../test/support/queues.ts";
import { type StaleOrder, staleOrders } from "./ordering-checks.ts";
import { OrderingTally } from "./ordering-tally.ts";
import { startWorkers, type Workers } from "./ordering-workers.ts";
import { type OrderingUpdate, planUpdates } from "./ordering-workload.ts";

/** The handler's settings as the workers read them: every default, Spot and the DLQ aside. */
export const HANDLER_DEFAULTS = readConfig({
  SPOT_META_DLQ_URL: "http://127.0.0.1/000000000000/dlq",
  SPOT_META_SPOT_TOKEN: "defaults-only",
});
/** A late write lands this long after its request arrived: 2 s after the client's attempt timed out. */
export const LATE_COMMIT_MS = HANDLER_DEFAULTS.requestTimeoutMs + 2_000;

/** Spot's transient faults, 12 % of calls; a third of them write (late, or with the answer lost). */
export const FAULTS: Array<{ fault: Fault; rate: number }> = [
  { fault: { kind: "late-commit", afterMs: LATE_COMMIT_MS }, rate: 0.03 },
  { fault: { kind: "commit-then-fail", status: 503 }, rate: 0.01 },
  { fault: { kind: "status", status: 503 }, rate: 0.03 },
  { fault: { kind: "status", status: 500 }, rate: 0.02 },
  { fault: { kind: "reset" }, rate: 0.02 },
  { fault: { kind: "hang" }, rate: 0.01 },
];
export const LATENCY_MS = { min: 5, max: 40 };

export interface OrderingOptions {
  orders: number;
  versions: number;
  workers: number;
  seed: number;
  /** The run gives up waiting for the queue to empty after this long. */
  timeoutSeconds: number;
  onProgress: (line: string) => void;
}

export interface OrderingReport {
  sent: number;
  sendSeconds: number;
  /** From the first send until the source queue was empty; undefined when it was not within the timeout. */
  drainSeconds: number | undefined;
  /** What the queue held at the end (all 0 once drained). */
  left: { visible: number; inFlight: number; delayed: number };
  tally: OrderingTally;
  dead: DeadLetter[];
  stale: StaleOrder[];
  /** POSTs Spot received (every attempt, retries included), and its other requests (reads). */
  calls: number;
  otherRequests: number;
  faultsInjected: Map<string, number>;
  /** Writes that landed although the answer was a fault or never came; late commits among them. */
  writesUnderFaults: number;
  lateWrites: number;
  stderr: string[];
}

/** Runs the benchmark once over a fresh local stack. */
export async function runOrdering(options: OrderingOptions): Promise<OrderingReport> {
  const stack = await startLocalStack({
    autoStart: false,
    logger: silentLogger,
    onMetrics: () => {},
    queues: { visibilityTimeoutSeconds: DEFAULT_QUEUE_SETTINGS.visibilityTimeoutSeconds },
    sandbox: {
      seedCount: options.orders,
      seed: options.seed,
      faults: { latencyMs: LATENCY_MS, random: FAULTS },
    },
  });
  const tally = new OrderingTally();
  const workers = startWorkers(options.workers, stack, (worker, line) => tally.add(worker, line));
  const release = stopOnInterrupt(workers, stack);
  try {
    await withTimeout(workers.ready, 60_000, "the workers did not start polling within 60 s");
    const updates = planUpdates(options.orders, options.versions, options.seed);
    const startedAt = Date.now();
    await send(stack, updates);
    const sendSeconds = (Date.now() - startedAt) / 1000;
    const drained = await untilDrained(stack, startedAt, options, tally);
    await workers.stop();
    // A write the workers gave up on may still be due: Spot's end state is final after it.
    await withTimeout(stack.sandbox.settled(), 60_000, "late writes still pending after 60 s");
    const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
    return {
      sent: updates.length,
      sendSeconds,
      ...drained,
      tally,
      dead,
      stale: staleOrders(updates, dead, stack.sandbox, tally.lines, startedAt),
      ...callsOf(stack),
      stderr: workers.stderr,
    };
  } finally {
    workers.kill();
    release();
    await stack.stop();
  }
}

async function send(stack: LocalStack, updates: OrderingUpdate[]): Promise<void> {
  const producer = new Producer({
    sqs: stack.sqs,
    queueUrl: stack.queues.queueUrl,
    source: "bench:ordering",
  });
  const results = await producer.enqueueMany(
    updates.map(({ publicId, metadata, issuedAt }) => ({ publicId, metadata, issuedAt })),
  );
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new Error(`${failed} updates could not be queued`);
}

/**
 * Polls the queue's depth every half second until it is empty twice in a row (a hand-back is sent
 * before its message is deleted, so the queue is never empty while one is under way); fauxqs counts
 * a message whose visibility lapsed as in flight until a worker receives it, which the workers'
 * polling does within seconds.
 */
async function untilDrained(
  stack: LocalStack,
  startedAt: number,
  options: OrderingOptions,
  tally: OrderingTally,
): Promise<Pick<OrderingReport, "drainSeconds" | "left">> {
  const giveUpAt = startedAt + options.timeoutSeconds * 1000;
  let emptySince: number | undefined;
  let lastProgress = startedAt;
  for (;;) {
    const at = Date.now();
    const left = await stack.queueDepth(stack.queues.queueUrl);
    const empty = left.visible + left.inFlight + left.delayed === 0;
    if (empty && emptySince !== undefined) return { drainSeconds: (emptySince - startedAt) / 1000, left };
    emptySince = empty ? at : undefined;
    if (at >= giveUpAt) return { drainSeconds: undefined, left };
    if (at - lastProgress >= 15_000) {
      lastProgress = at;
      options.onProgress(
        `  ${Math.round((at - startedAt) / 1000)} s: queue ${left.visible} visible, ${left.inFlight} in flight, ${left.delayed} delayed; ${tally.outcomeLines} outcome lines`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Spot's side: the calls, the faults injected, and the writes that landed under a fault. */
function callsOf(
  stack: LocalStack,
): Pick<OrderingReport, "calls" | "otherRequests" | "faultsInjected" | "writesUnderFaults" | "lateWrites"> {
  const requests = stack.sandbox.requests;
  const posts = requests.filter((r) => r.method === "POST");
  const faultsInjected = new Map<string, number>();
  for (const { fault } of posts)
    if (fault !== undefined) faultsInjected.set(fault, (faultsInjected.get(fault) ?? 0) + 1);
  const underFaults = posts.filter((r) => r.fault !== undefined && r.committedAt !== undefined);
  return {
    calls: posts.length,
    otherRequests: requests.length - posts.length,
    faultsInjected,
    writesUnderFaults: underFaults.length,
    lateWrites: underFaults.filter((r) => r.fault === "late-commit").length,
  };
}

/** On Ctrl-C or SIGTERM the workers and the stack go too; on any exit, workers still running are killed. */
export function stopOnInterrupt(workers: Workers, stack: LocalStack): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: stopping the workers and the local stack\n`);
    workers.kill();
    void stack.stop().finally(() => process.exit(130));
  };
  const onExit = () => workers.kill();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", onExit);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
