/**
 * Settings that are valid one by one but contradict each other (or the handler's own settings).
 * Each conflict names the settings it involves, so it can be left out when one of them is already
 * invalid on its own (its value would be a default, not what was asked for).
 */
import { handlerConfigSchema } from "../lib/lambda/config.ts";
import { ConfigError } from "../lib/lambda/errors.ts";
import { minimumVisibilityTimeoutSeconds } from "../lib/lambda/queue-settings.ts";
import {
  CONTEXT_KEY,
  DLQ_RETENTION_SECONDS,
  STACK_OWNED_HANDLER_SETTINGS,
  type StackConfig,
  toHandlerSettings,
} from "./config-schema.ts";
import { handlerSettingsStandIn } from "./handler-environment.ts";

export interface Conflict {
  /** The top-level settings involved. */
  settings: readonly (keyof StackConfig)[];
  problem: string;
}

/** The settings that shape the handler's configuration, and so its cross-checks. */
const HANDLER_INPUTS = [
  "handler",
  "spotBaseUrl",
  "maxReceiveCount",
  "handlerConcurrency",
  "requestsPerSecond",
  "ledger",
  "ledgerTtlDays",
  "metricsNamespace",
] as const satisfies readonly (keyof StackConfig)[];

const setting = (key: string) => `${CONTEXT_KEY}.${key}`;

/** Every conflict among the settings, in a stable order. */
export function findConflicts(config: StackConfig): Conflict[] {
  const conflicts: Conflict[] = [];
  const minimumVisibility = minimumVisibilityTimeoutSeconds(
    config.timeoutSeconds,
    config.maxBatchingWindowSeconds,
  );
  if (config.visibilityTimeoutSeconds < minimumVisibility) {
    conflicts.push({
      settings: ["visibilityTimeoutSeconds", "timeoutSeconds", "maxBatchingWindowSeconds"],
      problem: `${setting("visibilityTimeoutSeconds")}: must be at least 6 × timeoutSeconds + maxBatchingWindowSeconds = ${minimumVisibility} (got ${config.visibilityTimeoutSeconds})`,
    });
  }
  if (typeof config.reservedConcurrency === "number" && config.reservedConcurrency < config.maxConcurrency) {
    conflicts.push({
      settings: ["reservedConcurrency", "maxConcurrency"],
      problem: `${setting("reservedConcurrency")}: must be at least maxConcurrency (${config.maxConcurrency}), or Lambda throttles the invocations the event source starts (got ${config.reservedConcurrency})`,
    });
  }
  if (config.fifo && config.maxBatchingWindowSeconds > 0) {
    conflicts.push({
      settings: ["fifo", "maxBatchingWindowSeconds"],
      problem: `${setting("maxBatchingWindowSeconds")}: must be 0 with fifo (Lambda has no batching window for FIFO queues) (got ${config.maxBatchingWindowSeconds})`,
    });
  }
  if (config.queueRetentionSeconds >= DLQ_RETENTION_SECONDS) {
    conflicts.push({
      settings: ["queueRetentionSeconds"],
      problem: `${setting("queueRetentionSeconds")}: must be shorter than the DLQ's ${DLQ_RETENTION_SECONDS} s, so a dead-lettered message (which keeps its first enqueue time) does not expire in the DLQ at once (got ${config.queueRetentionSeconds})`,
    });
  }
  if (config.alarms.oldestMessageAgeSeconds >= config.queueRetentionSeconds) {
    conflicts.push({
      settings: ["alarms", "queueRetentionSeconds"],
      problem: `${setting("alarms.oldestMessageAgeSeconds")}: must be shorter than queueRetentionSeconds (${config.queueRetentionSeconds}), or messages expire before it fires (got ${config.alarms.oldestMessageAgeSeconds})`,
    });
  }
  if (config.ledger && config.ledgerTtlDays * 86_400 < DLQ_RETENTION_SECONDS + config.queueRetentionSeconds) {
    conflicts.push({
      settings: ["ledger", "ledgerTtlDays", "queueRetentionSeconds"],
      problem: `${setting("ledgerTtlDays")}: must cover the DLQ's retention and the source queue's (${Math.ceil((DLQ_RETENTION_SECONDS + config.queueRetentionSeconds) / 86_400)} days), or a replayed older update is no longer recognised as stale (got ${config.ledgerTtlDays})`,
    });
  }
  conflicts.push(...handlerConflicts(config));
  return conflicts;
}

/**
 * The longest a message's own failures can keep it in the source queue before the handler
 * dead-letters it: the backoff's upper bound after each of its attempts.
 */
function longestBackoffSeconds(handler: {
  maxReceiveCount: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
}): number {
  let total = 0;
  for (let n = 1; n <= handler.maxReceiveCount; n++) {
    total += Math.min(handler.backoffMaxSeconds, handler.backoffBaseSeconds * 2 ** Math.min(n - 1, 30));
  }
  return total;
}

/** The `handler` pass-through: allowed keys only, valid for the handler, and leaving time for a call. */
function handlerConflicts(config: StackConfig): Conflict[] {
  const conflicts: Conflict[] = [];
  const known = new Set(Object.keys(handlerConfigSchema.shape));
  const owned = new Set<string>(STACK_OWNED_HANDLER_SETTINGS);
  for (const key of Object.keys(config.handler)) {
    if (!known.has(key)) {
      conflicts.push({
        settings: ["handler"],
        problem: `${setting(`handler.${key}`)}: unknown handler setting (a typo?)`,
      });
    } else if (owned.has(key)) {
      conflicts.push({
        settings: ["handler"],
        problem: `${setting(`handler.${key}`)}: set by the stack; not allowed here`,
      });
    }
  }
  if (conflicts.length > 0) return conflicts;
  const handler = handlerSettingsStandIn(
    toHandlerSettings(config, {
      dlqUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/stand-in",
      spotTokenSecretId: "stand-in",
      ledgerTable: config.ledger ? "stand-in" : undefined,
    }),
  );
  if (handler instanceof ConfigError) {
    return handler.problems.map((problem) => ({
      settings: HANDLER_INPUTS,
      problem: `${setting("handler")}: the handler would reject its environment: ${problem}`,
    }));
  }
  if (config.ledger && handler.ledgerLeaseSeconds < config.timeoutSeconds + handler.lateWriteWindowSeconds) {
    // A shorter lease only cuts calls short, but an invocation would spend its time on orders whose
    // call it may no longer start.
    conflicts.push({
      settings: ["timeoutSeconds", ...HANDLER_INPUTS],
      problem: `${setting("handler")}.ledgerLeaseSeconds: must be at least timeoutSeconds + the handler's lateWriteWindowSeconds = ${config.timeoutSeconds + handler.lateWriteWindowSeconds} (got ${handler.ledgerLeaseSeconds}), so that no write of an invocation lands after its lease`,
    });
  }
  const backoff = longestBackoffSeconds(handler);
  if (backoff >= config.queueRetentionSeconds) {
    conflicts.push({
      settings: ["queueRetentionSeconds", "maxReceiveCount", ...HANDLER_INPUTS],
      problem: `${setting("queueRetentionSeconds")}: must outlast the handler's backoff over all of a message's attempts (${backoff} s), or messages expire before they reach the DLQ (got ${config.queueRetentionSeconds})`,
    });
  }
  const neededMs = handler.deadlineMarginMs + handler.requestTimeoutMs;
  if (config.timeoutSeconds * 1000 <= neededMs) {
    conflicts.push({
      settings: ["timeoutSeconds", ...HANDLER_INPUTS],
      problem: `${setting("timeoutSeconds")}: must be more than the handler's deadlineMarginMs + requestTimeoutMs = ${neededMs} ms, or no call to Spot ever starts (got ${config.timeoutSeconds} s)`,
    });
  }
  return conflicts;
}
