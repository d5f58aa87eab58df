/**
 * The soak: many updates through the local stack (ledger on) while the Spot sandbox injects every
 * transient fault it knows (writes that land after the client gave up or whose answer is lost, 200s
 * that are no order or drift from the schema, errors, hangs, resets), some updates fail for good, and
 * the handler crashes now and then. At the end, once no late write is pending, it checks that nothing
 * was lost, that every dead letter has the right reason, that no order is stale (Spot holds the
 * newest valid update of each), and that no older update was applied after a newer one was recorded.
 * `bench/soak.ts` runs it for minutes; `test/soak/soak.test.ts` runs a short one in CI.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { drainQueue } from "../../test/support/queues.ts";
import { appliedOutOfOrder, type EndState, judge, OrderingWatch } from "./soak-checks.ts";
import { type Observed, startSoakStack } from "./soak-stack.ts";
import { planWorkload, type SoakUpdate, type Workload } from "./soak-workload.ts";

export interface SoakOptions {
  messages: number;
  /** @default 3 */
  pollers?: number;
  /** Seeds the workload, the faults and the crashes. @default 1 */
  seed?: number;
  /** Updates are sent in this many waves, each when the previous one is half settled. @default 1 */
  waves?: number;
  /** Share of invocations that crash (half before the handler, half after it answered). @default 0.04 */
  crashRate?: number;
  /** Samples heapUsed after a GC at 20 %, 50 % and the end (needs `--expose-gc`). @default false */
  sampleMemory?: boolean;
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface SoakReport extends EndState {
  sent: number;
  seconds: number;
  calls: number;
  faultsInjected: number;
  /** Writes that landed at Spot although the answer was a fault or never came (late commits included). */
  writesUnderFaults: number;
  /** Of those, the late commits: writes that landed after the client had given up. */
  lateWrites: number;
  crashes: number;
  memory: Array<{ at: string; heapUsedMb: number }>;
  /** Everything that went wrong; empty when the run passed every check. */
  problems: string[];
}

/** One soak under way: its stack, its workload and what is gathered for the report. */
interface SoakRun {
  options: SoakOptions;
  stack: LocalStack;
  workload: Workload;
  observed: Observed;
  ordering: OrderingWatch;
  memory: SoakReport["memory"];
  problems: string[];
  started: number;
}

/** Runs a soak over a fresh local stack and checks its end state; stops everything it started. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seed = options.seed ?? 1;
  const workload = planWorkload(options.messages, seed);
  const { stack, observed } = await startSoakStack({
    seed,
    workload,
    pollers: options.pollers ?? 3,
    crashRate: options.crashRate ?? 0.04,
  });

  const ordering = new OrderingWatch();
  const folder = setInterval(() => ordering.fold(stack), 1000);
  const run: SoakRun = {
    options,
    stack,
    workload,
    observed,
    ordering,
    memory: [],
    problems: [],
    started: performance.now(),
  };
  try {
    stack.eventSource.start();
    const giveUpAt = Date.now() + (options.timeoutMs ?? 600_000);
    await sendInWaves(run, giveUpAt);
    await stack.waitUntilDrained({ timeoutMs: Math.max(1_000, giveUpAt - Date.now()) });
  } catch (error) {
    run.problems.push(`the run did not finish: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(folder);
  }
  const seconds = (performance.now() - run.started) / 1000;
  try {
    return await reportOn(run, seconds);
  } finally {
    await stack.stop();
  }
}

/**
 * Sends the updates in waves, each when the previous one is half settled (the last: all of it);
 * meanwhile samples memory at 20 % and 50 % settled, and reports progress every 10 s.
 */
async function sendInWaves(run: SoakRun, giveUpAt: number): Promise<void> {
  const { options, stack, workload, observed } = run;
  const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "soak" });
  const waves = options.waves ?? 1;
  const perWave = Math.ceil(workload.updates.length / waves);
  const samples = new Map([
    [Math.round(0.2 * workload.updates.length), "20 %"],
    [Math.round(0.5 * workload.updates.length), "50 %"],
  ]);
  let lastProgress = Date.now();
  for (let wave = 0; wave < waves; wave++) {
    const batch = workload.updates.slice(wave * perWave, (wave + 1) * perWave);
    const results = await producer.enqueueMany(batch.map((u) => u.message));
    const failed = results.filter((r) => !r.ok).length;
    if (failed > 0) run.problems.push(`${failed} updates could not be queued`);
    const sentSoFar = Math.min(workload.updates.length, (wave + 1) * perWave);
    const waitFor = wave === waves - 1 ? sentSoFar : sentSoFar - perWave / 2;
    while (observed.settledKeys < waitFor && Date.now() < giveUpAt) {
      for (const [at, label] of samples) {
        if (observed.settledKeys >= at) {
          samples.delete(at);
          sampleMemory(run, label);
        }
      }
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        options.onProgress?.(
          `  ${Math.round((performance.now() - run.started) / 1000)} s: ${observed.settledKeys} of ${workload.updates.length} settled, heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MB`,
        );
      }
      await sleep(50);
    }
  }
}

/** heapUsed after a GC, when the options ask for it. */
function sampleMemory(run: SoakRun, at: string): void {
  if (!run.options.sampleMemory) return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  run.memory.push({ at, heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024 });
}

/** Once the pollers are stopped and no late write is pending: the end-state checks and the report. */
async function reportOn(run: SoakRun, seconds: number): Promise<SoakReport> {
  const { stack, workload, ordering, problems } = run;
  await stack.eventSource.stop();
  // A write the handler gave up on may still be due: Spot's end state is only final after it.
  await stack.sandbox.settled();
  ordering.fold(stack);
  const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
  const report = judge(workload, run.observed.outcomes, dead, stack, problems);
  problems.push(...appliedOutOfOrder(run.observed.applied));
  sampleMemory(run, "end");
  return {
    ...report,
    sent: workload.updates.length,
    seconds,
    calls: ordering.calls,
    faultsInjected: ordering.faults,
    writesUnderFaults: ordering.writesUnderFaults,
    lateWrites: ordering.lateWrites,
    crashes: run.observed.crashes,
    memory: run.memory,
    problems,
  };
}

export type { SoakUpdate };
