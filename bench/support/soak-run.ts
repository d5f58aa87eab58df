/**
 * The soak: many updates through the local stack (ledger on) while the Spot sandbox injects every
 * transient fault it knows (writes that land after the client gave up or whose answer is lost, 200s
 * that are no order or drift from the schema, errors, hangs, resets), some updates fail for good, and
 * the handler crashes now and then. At the end, once no late write is pending, it checks that nothing
 * was lost, that every dead letter has the right reason, that no order is stale (Spot holds the
 * newest valid update of each), and that no older update was acknowledged after a newer one.
 * `bench/soak.ts` runs it for minutes; `test/soak/soak.test.ts` runs a short one in CI.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../../lib/lambda/logger.ts";
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import type { Fault, SandboxRequest } from "../../lib/local/sandbox/types.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { drainQueue } from "../../test/support/queues.ts";
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

export interface SoakReport {
  sent: number;
  seconds: number;
  /** Distinct updates by final outcome; their sum is `sent` when nothing is lost. */
  applied: number;
  superseded: number;
  deadLettered: number;
  /** Dead letters in the DLQ, duplicates included (a crash after the DLQ write). */
  deadLetterCopies: number;
  deadLetteredBy: Record<string, number>;
  calls: number;
  faultsInjected: number;
  /** Writes that landed at Spot although the answer was a fault or never came (late commits included). */
  writesUnderFaults: number;
  /** Of those, the late commits: writes that landed after the client had given up. */
  lateWrites: number;
  /** Orders whose metadata at Spot is not that of their newest valid update; 0 when the run passed. */
  staleOrders: number;
  crashes: number;
  memory: Array<{ at: string; heapUsedMb: number }>;
  /** Everything that went wrong; empty when the run passed every check. */
  problems: string[];
}

/** One attempt's timeout in the handler. */
const REQUEST_TIMEOUT_MS = 300;
/** A late commit lands just after the handler gave up on the attempt: the write it must not forget. */
const LATE_COMMIT_MS = REQUEST_TIMEOUT_MS + 100;

/**
 * Transient faults: 30 % of requests, every kind that may pass on a retry. A third of them leave the
 * write landed (late, or with the answer lost or off the schema) or answer 200 without an order.
 */
const TRANSIENT_FAULTS: Array<{ fault: Fault; rate: number }> = [
  // Spot's own errors, a proxy's pages, no answer at all: nothing was written.
  { fault: { kind: "status", status: 429, retryAfter: "1" }, rate: 0.03 },
  { fault: { kind: "status", status: 429 }, rate: 0.03 },
  { fault: { kind: "status", status: 500 }, rate: 0.02 },
  { fault: { kind: "status", status: 502 }, rate: 0.02 },
  { fault: { kind: "status", status: 503, retryAfter: "1" }, rate: 0.02 },
  { fault: { kind: "status", status: 504 }, rate: 0.02 },
  { fault: { kind: "status", status: 408 }, rate: 0.01 },
  { fault: { kind: "html", status: 502 }, rate: 0.02 },
  { fault: { kind: "html", status: 503 }, rate: 0.01 },
  { fault: { kind: "reset" }, rate: 0.01 },
  { fault: { kind: "hang" }, rate: 0.02 },
  // The write lands, but the client learns nothing (or too late) of it.
  { fault: { kind: "late-commit", afterMs: LATE_COMMIT_MS }, rate: 0.02 },
  { fault: { kind: "commit-then-fail", status: 502 }, rate: 0.01 },
  { fault: { kind: "commit-then-fail", status: 504 }, rate: 0.01 },
  { fault: { kind: "commit-then-reset" }, rate: 0.01 },
  // 200s: drift is this order and landed; the others are no order and prove nothing.
  { fault: { kind: "drift" }, rate: 0.01 },
  { fault: { kind: "html", status: 200 }, rate: 0.01 },
  { fault: { kind: "empty" }, rate: 0.01 },
  { fault: { kind: "garbage" }, rate: 0.01 },
];

/** Runs a soak over a fresh local stack and checks its end state; stops everything it started. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seed = options.seed ?? 1;
  const workload = planWorkload(options.messages, seed);
  const crashDice = seededDice(seed * 7 + 1);
  const crashRate = options.crashRate ?? 0.04;
  const keyOf = new Map<string, string>();
  const outcomes = new Map<string, Set<string>>();
  let settledKeys = 0;
  let crashes = 0;
  const settle = (messageId: string, outcome: string) => {
    const key = keyOf.get(messageId);
    if (key === undefined || !["applied", "superseded", "dead-lettered"].includes(outcome)) return;
    const seen = outcomes.get(key) ?? new Set();
    if (seen.size === 0) settledKeys++;
    seen.add(outcome);
    outcomes.set(key, seen);
  };
  const stack: LocalStack = await startLocalStack({
    autoStart: false,
    logger: createLogger({
      level: "info",
      destination: {
        write(line: string) {
          const entry = JSON.parse(line) as { messageId?: string; outcome?: string };
          if (entry.messageId !== undefined && entry.outcome !== undefined)
            settle(entry.messageId, entry.outcome);
        },
      },
    }),
    onMetrics: () => {},
    queues: { visibilityTimeoutSeconds: 2 },
    sandbox: {
      orders: workload.knownOrders,
      seed,
      faults: { latencyMs: { min: 1, max: 20 }, random: TRANSIENT_FAULTS, script: workload.script },
    },
    handler: {
      concurrency: 10,
      requestsPerSecond: 250,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryLimit: 1,
      retryMaxDelayMs: 100,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 2,
      // Late writes land within LATE_COMMIT_MS: a window of a second covers them, and the lease
      // (one call with its retry, plus the window) keeps a blocked order waiting no longer than that.
      lateWriteWindowSeconds: 1,
      ledgerLeaseSeconds: 2,
    },
    eventSource: { pollers: options.pollers ?? 3, batchingWindowMs: 20 },
    wrapHandler: (handler) => async (event, context) => {
      for (const record of event.Records) {
        if (!keyOf.has(record.messageId)) keyOf.set(record.messageId, keyOfBody(record.body));
      }
      if (crashDice() < crashRate / 2) {
        crashes++;
        throw new Error("injected crash before the handler");
      }
      const response = await handler(event, context);
      if (crashDice() < crashRate / 2) {
        crashes++;
        throw new Error("injected crash after the handler answered");
      }
      return response;
    },
  });

  const ordering = new OrderingWatch();
  const folder = setInterval(() => ordering.fold(stack), 1000);
  const memory: SoakReport["memory"] = [];
  const sampleMemory = (at: string) => {
    if (!options.sampleMemory) return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    memory.push({ at, heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024 });
  };
  const problems: string[] = [];
  const started = performance.now();
  try {
    stack.eventSource.start();
    const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "soak" });
    const waves = options.waves ?? 1;
    const perWave = Math.ceil(workload.updates.length / waves);
    const samples = new Map([
      [Math.round(0.2 * workload.updates.length), "20 %"],
      [Math.round(0.5 * workload.updates.length), "50 %"],
    ]);
    const giveUpAt = Date.now() + (options.timeoutMs ?? 600_000);
    let lastProgress = Date.now();
    for (let wave = 0; wave < waves; wave++) {
      const batch = workload.updates.slice(wave * perWave, (wave + 1) * perWave);
      const results = await producer.enqueueMany(batch.map((u) => u.message));
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0) problems.push(`${failed} updates could not be queued`);
      const sentSoFar = Math.min(workload.updates.length, (wave + 1) * perWave);
      const waitFor = wave === waves - 1 ? sentSoFar : sentSoFar - perWave / 2;
      while (settledKeys < waitFor && Date.now() < giveUpAt) {
        for (const [at, label] of samples) {
          if (settledKeys >= at) {
            samples.delete(at);
            sampleMemory(label);
          }
        }
        if (Date.now() - lastProgress >= 10_000) {
          lastProgress = Date.now();
          options.onProgress?.(
            `  ${Math.round((performance.now() - started) / 1000)} s: ${settledKeys} of ${workload.updates.length} settled, heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MB`,
          );
        }
        await sleep(50);
      }
    }
    await stack.waitUntilDrained({ timeoutMs: Math.max(1_000, giveUpAt - Date.now()) });
  } catch (error) {
    problems.push(`the run did not finish: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(folder);
  }
  const seconds = (performance.now() - started) / 1000;
  try {
    await stack.eventSource.stop();
    // A write the handler gave up on may still be due: Spot's end state is only final after it.
    await stack.sandbox.settled();
    ordering.fold(stack);
    const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
    const report = judge(workload, outcomes, dead, stack, problems);
    problems.push(...ordering.problems);
    sampleMemory("end");
    return {
      ...report,
      sent: workload.updates.length,
      seconds,
      calls: ordering.calls,
      faultsInjected: ordering.faults,
      writesUnderFaults: ordering.writesUnderFaults,
      lateWrites: ordering.lateWrites,
      crashes,
      memory,
      problems,
    };
  } finally {
    await stack.stop();
  }
}

type Judged = Pick<
  SoakReport,
  "applied" | "superseded" | "deadLettered" | "deadLetterCopies" | "deadLetteredBy" | "staleOrders"
>;

/** The end-state checks: conservation, reasons, and what Spot holds. */
function judge(
  workload: Workload,
  outcomes: Map<string, Set<string>>,
  dead: Awaited<ReturnType<typeof drainQueue>>,
  stack: LocalStack,
  problems: string[],
): Judged {
  const deadKeys = new Set<string>();
  const deadLetteredBy: Record<string, number> = {};
  const byKey = new Map(workload.updates.map((u) => [u.key, u]));
  for (const letter of dead) {
    const key = keyOfBody(letter.body);
    deadKeys.add(key);
    const update = byKey.get(key);
    const failure = letter.failure;
    const reason = [failure?.reasonClass, failure?.status, failure?.errorType]
      .filter((p) => p !== undefined)
      .join(" ");
    deadLetteredBy[reason] = (deadLetteredBy[reason] ?? 0) + 1;
    if (update === undefined) {
      problems.push(`a dead letter that was never sent: ${letter.body.slice(0, 80)}`);
      continue;
    }
    const expected = update.expectedFailure;
    const fine =
      expected === undefined
        ? failure?.reasonClass === ReasonClass.exhausted
        : failure?.reasonClass === ReasonClass.permanent &&
          failure.status === expected.status &&
          failure.errorType === expected.errorType;
    if (!fine)
      problems.push(
        `${key} dead-lettered as "${reason}", expected ${JSON.stringify(expected ?? "exhausted")}`,
      );
  }
  let applied = 0;
  let superseded = 0;
  let deadLettered = 0;
  for (const update of workload.updates) {
    const seen = outcomes.get(update.key) ?? new Set();
    if (seen.has("applied")) applied++;
    else if (deadKeys.has(update.key)) deadLettered++;
    else if (seen.has("superseded")) superseded++;
    else problems.push(`${update.key} is lost: no final outcome and not in the DLQ`);
    if (update.expectedFailure !== undefined && !deadKeys.has(update.key)) {
      problems.push(`${update.key} should have been dead-lettered (${update.expectedFailure.errorType})`);
    }
  }
  if (applied + superseded + deadLettered !== workload.updates.length) {
    problems.push(
      `applied ${applied} + superseded ${superseded} + dead-lettered ${deadLettered} ≠ sent ${workload.updates.length}`,
    );
  }
  const staleOrders = countStaleOrders(workload, stack, problems);
  if (staleOrders > 0) {
    problems.push(`${staleOrders} stale orders: Spot does not hold the newest valid update of each`);
  }
  return { applied, superseded, deadLettered, deadLetterCopies: dead.length, deadLetteredBy, staleOrders };
}

/**
 * Compares what Spot holds with the newest valid update of each order (the workload's expected map).
 * No leeway: an update that was dead-lettered, superseded in a batch or overwritten by a late write
 * still had to win if it was the newest. Names, per stale order, the write that Spot holds.
 * @returns how many orders are stale.
 */
function countStaleOrders(workload: Workload, stack: LocalStack, problems: string[]): number {
  let stale = 0;
  for (const [publicId, want] of workload.expected) {
    const held = stack.sandbox.metadataOf(publicId);
    if (jsonEqual(held, want)) continue;
    stale++;
    const last = stack.sandbox.lastCommitOf(publicId);
    const landed = last === undefined ? "" : ` (last written by a request with ${last.fault ?? "no fault"})`;
    problems.push(
      `${publicId} is stale: holds ${JSON.stringify(held)}${landed}, newest is ${JSON.stringify(want)}`,
    );
  }
  return stale;
}

/** Deep equality of JSON values, whatever the order of keys; undefined and null are distinct. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
  );
}

/**
 * Watches the sandbox's request log: counts calls, faults and the writes that landed under a fault,
 * and checks that for each order the updates Spot acknowledged (stored and answered 200, no fault)
 * were stored in the order of their versions. Writes under a fault are left to the stale check: when
 * a late one lands is Spot's doing, not the pipeline's, and what matters is that the newest wins in
 * the end. Folds the log every second and clears it, so a long soak does not keep every request.
 */
class OrderingWatch {
  calls = 0;
  faults = 0;
  writesUnderFaults = 0;
  lateWrites = 0;
  problems: string[] = [];
  readonly #lastStored = new Map<string, number>();
  readonly #counted = new WeakSet<SandboxRequest>();
  #pending: SandboxRequest[] = [];

  fold(stack: LocalStack): void {
    const fresh = [...stack.sandbox.requests];
    stack.sandbox.clearRequests();
    this.calls += fresh.length;
    this.faults += fresh.filter((r) => r.fault !== undefined).length;
    const all = [...this.#pending, ...fresh];
    for (const request of all) this.#countWriteUnderFault(request);
    const answered = all.filter((r) => r.answeredAt !== undefined);
    // A hang never answers, nor does a late commit to a client that left: forget those after a while
    // (long after a late commit has landed and been counted).
    const now = Date.now();
    this.#pending = all.filter((r) => r.answeredAt === undefined && now - r.receivedAt < 10_000);
    const acknowledged = answered
      .filter((r) => r.method === "POST" && r.status === 200 && r.fault === undefined)
      .sort((a, b) => (a.commitSeq ?? 0) - (b.commitSeq ?? 0));
    for (const request of acknowledged) {
      const publicId = request.publicId ?? "";
      const version = Number((request.metadata as { rev?: string } | undefined)?.rev);
      const last = this.#lastStored.get(publicId) ?? Number.NEGATIVE_INFINITY;
      if (version < last) this.problems.push(`${publicId}: version ${version} stored after ${last}`);
      this.#lastStored.set(publicId, Math.max(version, last));
    }
  }

  #countWriteUnderFault(request: SandboxRequest): void {
    if (request.committedAt === undefined || request.fault === undefined || this.#counted.has(request))
      return;
    this.#counted.add(request);
    this.writesUnderFaults++;
    if (request.fault === "late-commit") this.lateWrites++;
  }
}

function keyOfBody(body: string): string {
  try {
    const { publicId, issuedAt } = JSON.parse(body) as { publicId?: string; issuedAt?: string };
    return `${publicId}@${issuedAt}`;
  } catch {
    return body;
  }
}

export type { SoakUpdate };
