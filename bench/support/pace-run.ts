/**
 * One run of the pace benchmark (bench/pace.ts), as deployed: the local stack `spot-meta dev` starts
 * (fauxqs with the stack's queues, the ledger on dynalite, the Spot sandbox limiting its POSTs by a
 * sliding window) with no consumer of its own; N separate `spot-meta worker` processes (one poller
 * each, one Lambda instance each, the worker's batch window) on its queue, their ceiling far above
 * Spot's limit; updates of distinct orders sent once they poll, more than Spot accepts in the run.
 * The run lasts its phases, counted from Spot's first request (when the sandbox's limit starts
 * changing), then the workers are stopped and the DLQ read. Everything it starts is stopped before
 * it returns, or killed when the process is interrupted or exits.
 */
import { envName } from "../../lib/lambda/config.ts";
import { silentLogger } from "../../lib/lambda/logger.ts";
import { DEFAULT_QUEUE_SETTINGS } from "../../lib/lambda/queue-settings.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import type { RateLimit } from "../../lib/local/sandbox/types.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { type DeadLetter, drainQueue } from "../../test/support/queues.ts";
import { CpuSampler } from "./cpu-sampler.ts";
import { stopOnInterrupt, withTimeout } from "./ordering-run.ts";
import { OrderingTally } from "./ordering-tally.ts";
import { startWorkers } from "./ordering-workers.ts";

export interface PaceRunOptions {
  instances: number;
  /** Learn the pace (`SPOT_META_ADAPTIVE_PACE`), or run every worker at its ceiling. */
  adaptive: boolean;
  /** Each worker's `SPOT_META_REQUESTS_PER_SECOND`. */
  ceiling: number;
  /** Spot's limit in each phase, and the phases' lengths, from its first request. */
  phases: Array<{ limit: number; seconds: number }>;
  /** Spot's `Retry-After` on a 429, in seconds; none when undefined. */
  retryAfterSeconds: number | undefined;
  latencyMs: number;
  /** Handler variables over the defaults, for every worker (the ceiling and the pace aside). */
  settings?: Record<string, string>;
}

export interface PaceRun {
  /** Spot's first request: the first phase's start. */
  startedAt: number;
  /** The POSTs Spot received, in arrival order: when, and whether its limit refused them. */
  requests: Array<{ receivedAt: number; refused: boolean }>;
  /** Each worker's pace after each of its invocations (`PacePerSecond` in its metrics), by its timestamp. */
  paces: Array<{ worker: number; at: number; perSecond: number }>;
  sent: number;
  sendSeconds: number;
  /** From the workers' start until every one polled. */
  startSeconds: number;
  tally: OrderingTally;
  dead: DeadLetter[];
  cpu: CpuSampler;
  stderr: string[];
}

/** Updates per second of the phases Spot could accept, with this margin: the queue never runs dry. */
const BACKLOG_MARGIN = 1.25;

/** Runs the benchmark once over a fresh local stack. */
export async function runPace(options: PaceRunOptions): Promise<PaceRun> {
  const sent = Math.ceil(BACKLOG_MARGIN * options.phases.reduce((n, p) => n + p.limit * p.seconds, 0));
  const stack = await startLocalStack({
    autoStart: false,
    logger: silentLogger,
    onMetrics: () => {},
    queues: { visibilityTimeoutSeconds: DEFAULT_QUEUE_SETTINGS.visibilityTimeoutSeconds },
    sandbox: {
      seedCount: sent,
      faults: { latencyMs: options.latencyMs, rateLimit: rateLimitOf(options) },
    },
  });
  const tally = new OrderingTally();
  const paces: PaceRun["paces"] = [];
  const workers = startWorkers(
    options.instances,
    stack,
    (worker, line) => {
      readPace(worker, line, paces);
      tally.add(worker, line);
    },
    workerSettings(options),
  );
  const cpu = new CpuSampler(() => workers.pids);
  const release = stopOnInterrupt(workers, stack);
  try {
    const launchedAt = Date.now();
    await withTimeout(workers.ready, 240_000, "the workers did not start polling within 240 s");
    const startSeconds = (Date.now() - launchedAt) / 1000;
    const sendStartedAt = Date.now();
    await send(stack, sent);
    const sendSeconds = (Date.now() - sendStartedAt) / 1000;
    const startedAt = await untilPhasesEnd(stack, options);
    await workers.stop();
    cpu.stop();
    const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
    const requests = stack.sandbox.requests
      .filter((r) => r.method === "POST")
      .map((r) => ({ receivedAt: r.receivedAt, refused: r.fault === "rate_limit" }));
    return {
      startedAt,
      requests,
      paces,
      sent,
      sendSeconds,
      startSeconds,
      tally,
      dead,
      cpu,
      stderr: workers.stderr,
    };
  } finally {
    cpu.stop();
    workers.kill();
    release();
    await stack.stop();
  }
}

function rateLimitOf({ phases, retryAfterSeconds }: PaceRunOptions): RateLimit {
  let afterMs = 0;
  const changes = phases.slice(1).map((phase, i) => {
    afterMs += (phases[i]?.seconds ?? 0) * 1000;
    return { afterMs, perSecond: phase.limit };
  });
  return {
    perSecond: phases[0]?.limit ?? 0,
    window: "sliding",
    changes,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

function workerSettings(options: PaceRunOptions): Record<string, string> {
  return {
    ...options.settings,
    [envName("requestsPerSecond")]: String(options.ceiling),
    [envName("adaptivePace")]: String(options.adaptive),
  };
}

/** An EMF document's `PacePerSecond`, at its timestamp. */
function readPace(worker: number, line: string, paces: PaceRun["paces"]): void {
  if (!line.includes('"PacePerSecond"')) return;
  try {
    const document = JSON.parse(line) as { PacePerSecond?: number; _aws?: { Timestamp?: number } };
    if (document.PacePerSecond === undefined) return;
    paces.push({ worker, at: document._aws?.Timestamp ?? Date.now(), perSecond: document.PacePerSecond });
  } catch {
    // Not JSON: the tally keeps it among the unparsed lines.
  }
}

/** One update per seeded order (O0000001 …), through the typed producer. */
async function send(stack: LocalStack, count: number): Promise<void> {
  const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "bench:pace" });
  const issuedAt = new Date().toISOString();
  const results = await producer.enqueueMany(
    Array.from({ length: count }, (_, i) => ({
      publicId: `O${String(i + 1).padStart(7, "0")}`,
      metadata: { clinic: `clinic-${i % 17}`, n: String(i + 1) },
      issuedAt,
    })),
  );
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new Error(`${failed} updates could not be queued`);
}

/** Waits for Spot's first request, then for the phases to run out; returns that first request's arrival. */
async function untilPhasesEnd(stack: LocalStack, options: PaceRunOptions): Promise<number> {
  const giveUpAt = Date.now() + 60_000;
  let first = stack.sandbox.requests[0]?.receivedAt;
  while (first === undefined) {
    if (Date.now() > giveUpAt) throw new Error("no call reached Spot within 60 s of the sends");
    await sleep(100);
    first = stack.sandbox.requests[0]?.receivedAt;
  }
  const totalMs = options.phases.reduce((ms, p) => ms + p.seconds * 1000, 0);
  await sleep(first + totalMs - Date.now());
  return first;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
