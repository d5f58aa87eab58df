/**
 * One invocation's work on the updates of a batch: its circuit breaker, its pace, its deadline, and
 * the decision for each record (applied, superseded, dead-letter, hand back).
 */
import type { SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { visibilityBackoffSeconds } from "../backoff.ts";
import { serializeUpdate } from "../contract.ts";
import { type Failure, ReasonClass } from "../dlq/failure-attributes.ts";
import type { FailedOutcome, SpotOutcome } from "../spot/outcome.ts";
import { receiveCount } from "../sqs/records.ts";
import type { ResolvedDeps } from "./batch-processor.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import type { Decided, Decision } from "./decision.ts";
import { Admission } from "./ordering.ts";
import type { Pacer } from "./pacer.ts";
import type { Work } from "./plan.ts";
import { describe } from "./settle.ts";

type Retry = Extract<Decision, { kind: "retry" }>;

/** A lease held elsewhere clears within seconds; come back soon, not after a full backoff. */
const BUSY_RETRY_SECONDS = { min: 2, spread: 4 };

/** The state of one invocation: its circuit, its pace, its deadline. */
export class Invocation {
  readonly #deps: ResolvedDeps;
  readonly #breaker: CircuitBreaker;
  readonly #pacer: Pacer;
  readonly #deadlineAt: number;
  #systemicLogged = false;

  /** @param pacer the processor's: the pace holds across invocations, not only within one */
  constructor(deps: ResolvedDeps, deadlineAt: number, pacer: Pacer) {
    this.#deps = deps;
    this.#breaker = new CircuitBreaker(deps.config.circuitBreakerThreshold);
    this.#pacer = pacer;
    this.#deadlineAt = deadlineAt;
  }

  /** Runs the updates: different orders concurrently (bounded), one lane (order or FIFO group) in turn. */
  async applyAll(work: Work[]): Promise<Decided[]> {
    const limit = pLimit(this.#deps.config.concurrency);
    const lanes = new Map<string, Work[]>();
    for (const item of work) lanes.set(item.laneKey, [...(lanes.get(item.laneKey) ?? []), item]);
    const results = await Promise.all(
      [...lanes.values()].map(async (lane) => {
        const out: Decided[] = [];
        let heldBack: string | undefined;
        for (const item of lane) {
          const decision =
            heldBack === undefined
              ? await limit(() => this.#apply(item))
              : this.#untried(item, `held back behind ${heldBack}, which failed, in its FIFO group`, 0);
          if (decision.kind === "retry") heldBack ??= item.record.messageId;
          out.push({
            record: item.record,
            publicId: item.message.publicId,
            metadata: item.message.metadata,
            decision,
          });
        }
        return out;
      }),
    );
    return results.flat();
  }

  invalid(record: SQSRecord, reason: string): Decision {
    return {
      kind: "deadLetter",
      body: record.body,
      failure: this.#failure(record, ReasonClass.invalid, reason, {}),
    };
  }

  async #apply(work: Work): Promise<Decision> {
    const { config, ordering } = this.#deps;
    const { publicId, metadata } = work.message;
    const messageId = work.record.messageId;
    const blocked = this.#blocked(work);
    if (blocked) return blocked;

    let admission: Admission;
    try {
      admission = await ordering.admit(publicId, work.version, messageId);
    } catch (error) {
      return this.#untried(work, `the applied-updates ledger failed: ${describe(error)}`);
    }
    if (admission === Admission.superseded) {
      return { kind: "superseded", reason: "a newer or equal update for the order was already applied" };
    }
    if (admission === Admission.busy) {
      const seconds = BUSY_RETRY_SECONDS.min + Math.round(this.#deps.random() * BUSY_RETRY_SECONDS.spread);
      return this.#untried(work, "another invocation holds the order's lease", seconds);
    }

    await this.#pacer.take();
    const blockedAfterWait = this.#blocked(work);
    if (blockedAfterWait) {
      await this.#release(publicId, messageId);
      return blockedAfterWait;
    }
    const outcome = await this.#deps.spot.updateMetadata(publicId, metadata, {
      deadline: this.#deadlineAt - config.deadlineMarginMs / 2,
      // The quick retries count against the pace at Spot like first attempts.
      beforeRetry: () => this.#pacer.take(),
    });
    return this.#decide(work, outcome);
  }

  async #decide(work: Work, outcome: SpotOutcome): Promise<Decision> {
    const { publicId } = work.message;
    const messageId = work.record.messageId;
    const count = receiveCount(work.record);
    const { attempts, latencyMs } = outcome;
    if (outcome.kind === "applied") {
      this.#breaker.recordSuccess();
      try {
        await this.#deps.ordering.applied(publicId, work.version, messageId);
      } catch (error) {
        this.#deps.logger.error(
          { messageId, publicId, error: describe(error) },
          "applied, but the ledger was not updated",
        );
      }
      return { kind: "applied", status: outcome.status, attempts, latencyMs };
    }
    await this.#release(publicId, messageId);
    const { status, errorType, reason } = outcome;
    const failure = (reasonClass: ReasonClass) =>
      this.#failure(work.record, reasonClass, reason, { status, errorType, details: outcome.details });
    switch (outcome.kind) {
      case "permanent":
        return {
          kind: "deadLetter",
          body: bodyOf(work),
          failure: failure(ReasonClass.permanent),
          attempts,
          latencyMs,
        };
      case "systemic":
        this.#breaker.open(`Spot refused the token (${status ?? "?"})`);
        this.#deps.onSystemicFailure?.();
        this.#logSystemic(outcome);
        return { ...this.#untried(work, reason), status, errorType, attempts, latencyMs };
      case "transient": {
        this.#breaker.recordTransientFailure();
        if (count >= this.#deps.config.maxReceiveCount) {
          return {
            kind: "deadLetter",
            body: bodyOf(work),
            failure: failure(ReasonClass.exhausted),
            attempts,
            latencyMs,
          };
        }
        return {
          kind: "retry",
          reason,
          visibilitySeconds: this.#backoff(work.record, outcome.retryAfterMs),
          untried: false,
          body: bodyOf(work),
          status,
          errorType,
          attempts,
          latencyMs,
        };
      }
    }
  }

  /** Why no call should start now (circuit open, deadline near), as the decision to hand it back. */
  #blocked(work: Work): Decision | undefined {
    if (this.#breaker.isOpen) return this.#untried(work, this.#breaker.reason);
    if (this.#deadlineAt - Date.now() < this.#deps.config.deadlineMarginMs) {
      return this.#untried(work, "too little of the invocation's time left to start a call", 0);
    }
    return undefined;
  }

  /** Hands a message back for a reason that is not its own; the backoff follows its receive count. */
  #untried(work: Work, reason: string, visibilitySeconds?: number): Retry {
    const seconds = visibilitySeconds ?? this.#backoff(work.record);
    return { kind: "retry", reason, visibilitySeconds: seconds, untried: true, body: bodyOf(work) };
  }

  #backoff(record: SQSRecord, retryAfterMs?: number): number {
    const { backoffBaseSeconds: baseSeconds, backoffMaxSeconds: maxSeconds } = this.#deps.config;
    return visibilityBackoffSeconds(
      { baseSeconds, maxSeconds },
      receiveCount(record),
      retryAfterMs,
      this.#deps.random,
    );
  }

  async #release(publicId: string, messageId: string): Promise<void> {
    try {
      await this.#deps.ordering.release(publicId, messageId);
    } catch (error) {
      // The lease expires on its own; the order is only delayed.
      this.#deps.logger.warn({ messageId, publicId, error: describe(error) }, "lease not released");
    }
  }

  #failure(
    record: SQSRecord,
    reasonClass: ReasonClass,
    reason: string,
    extra: { status?: number; errorType?: string; details?: string[] },
  ): Failure {
    const now = new Date();
    const count = receiveCount(record);
    const firstReceive = Number(record.attributes.ApproximateFirstReceiveTimestamp);
    return {
      reasonClass,
      reason,
      ...(extra.status === undefined ? {} : { status: extra.status }),
      ...(extra.errorType === undefined ? {} : { errorType: extra.errorType }),
      details: extra.details ?? [reason],
      attempts: count,
      firstFailureAt: count > 1 && firstReceive > 0 ? new Date(firstReceive) : now,
      lastFailureAt: now,
    };
  }

  #logSystemic(outcome: FailedOutcome): void {
    if (this.#systemicLogged) return;
    this.#systemicLogged = true;
    this.#deps.logger.error(
      {
        status: outcome.status,
        errorType: outcome.errorType,
        details: outcome.details,
        alarm: "SystemicFailures",
      },
      "Spot refused the token: nothing is dead-lettered, every message goes back to the queue. Check the token's secret.",
    );
  }
}

/** The body to dead-letter or requeue: stamped with its version, so a replay keeps its place in line. */
function bodyOf(work: Work): string {
  if (work.message.issuedAt !== undefined) return work.record.body;
  return serializeUpdate({ ...work.message, issuedAt: new Date(work.version).toISOString() });
}
