/**
 * The soak's local stack (bench/support/soak-run.ts runs the soak): the ledger on, Spot injecting
 * every transient fault it knows on top of the workload's scripted ones, the handler crashing now and
 * then, and its log lines read for each update's final outcome.
 */
import { createLogger } from "../../lib/lambda/logger.ts";
import type { UpdateHandler } from "../../lib/lambda/update-handler.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import type { Fault } from "../../lib/local/sandbox/types.ts";
import type { AppliedLine } from "./soak-checks.ts";
import { keyOfBody } from "./soak-checks.ts";
import type { Workload } from "./soak-workload.ts";

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

/** What the handler's log and its wrapper tell of the run as it goes. */
export interface Observed {
  /** Each message's update key, read from the bodies the handler receives. */
  keyOf: Map<string, string>;
  /** Each update's final outcomes so far, from the handler's log lines. */
  outcomes: Map<string, Set<string>>;
  /** Updates with a final outcome. */
  settledKeys: number;
  crashes: number;
  /** The handler's `applied` outcome lines: the 200s it saw and recorded, with when Spot answered. */
  applied: AppliedLine[];
}

interface OutcomeLine {
  messageId?: string;
  outcome?: string;
  publicId?: string;
  issuedAt?: string;
  decidedAt?: string;
}

function appliedOf(entry: OutcomeLine): AppliedLine {
  return {
    publicId: entry.publicId ?? "",
    issuedAt: Date.parse(entry.issuedAt ?? ""),
    decidedAt: Date.parse(entry.decidedAt ?? ""),
  };
}

export interface SoakStackSettings {
  /** Seeds Spot's faults and the crashes. */
  seed: number;
  workload: Workload;
  pollers: number;
  /** Share of invocations that crash. */
  crashRate: number;
}

/**
 * A fresh local stack, ledger on, not polling yet: Spot with the transient faults and the workload's
 * script, the handler with crashes injected, its log lines counted as outcomes.
 */
export async function startSoakStack({
  seed,
  workload,
  pollers,
  crashRate,
}: SoakStackSettings): Promise<{ stack: LocalStack; observed: Observed }> {
  const observed: Observed = {
    keyOf: new Map(),
    outcomes: new Map(),
    settledKeys: 0,
    crashes: 0,
    applied: [],
  };
  const stack = await startLocalStack({
    autoStart: false,
    logger: createLogger({
      level: "info",
      destination: {
        write(line: string) {
          const entry = JSON.parse(line) as OutcomeLine;
          if (entry.messageId !== undefined && entry.outcome !== undefined)
            settle(observed, entry.messageId, entry.outcome);
          if (entry.outcome === "applied") observed.applied.push(appliedOf(entry));
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
      // Late writes are due LATE_COMMIT_MS after they arrive; the window covers that three times
      // over, since the sandbox shares this process's event loop: on a loaded machine its timers
      // fire late, and a write it lands later than the window is outside what is guaranteed. The
      // longest hold: a call with its retry, plus the window.
      lateWriteWindowSeconds: 3,
      ledgerLeaseSeconds: 5,
    },
    eventSource: { pollers, batchingWindowMs: 20 },
    wrapHandler: crashing(observed, seededDice(seed * 7 + 1), crashRate),
  });
  return { stack, observed };
}

/** Counts a message's final outcome against its update, once per update. */
function settle(observed: Observed, messageId: string, outcome: string): void {
  const key = observed.keyOf.get(messageId);
  if (key === undefined || !["applied", "superseded", "dead-lettered"].includes(outcome)) return;
  const seen = observed.outcomes.get(key) ?? new Set();
  if (seen.size === 0) observed.settledKeys++;
  seen.add(outcome);
  observed.outcomes.set(key, seen);
}

/**
 * Wraps the handler: notes the update key of each message it receives, and crashes now and then
 * (half of the crashes before the handler, half after it answered).
 */
function crashing(
  observed: Observed,
  crashDice: () => number,
  crashRate: number,
): (handler: UpdateHandler) => UpdateHandler {
  return (handler) => async (event, context) => {
    for (const record of event.Records) {
      if (!observed.keyOf.has(record.messageId)) observed.keyOf.set(record.messageId, keyOfBody(record.body));
    }
    if (crashDice() < crashRate / 2) {
      observed.crashes++;
      throw new Error("injected crash before the handler");
    }
    const response = await handler(event, context);
    if (crashDice() < crashRate / 2) {
      observed.crashes++;
      throw new Error("injected crash after the handler answered");
    }
    return response;
  };
}
