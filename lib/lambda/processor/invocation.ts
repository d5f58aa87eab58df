/**
 * One invocation's work on the updates of a batch: its circuit breaker, its pace, its deadline, and
 * the decision for each record (applied, superseded, dead-letter, hand back with its cause).
 */
import type { SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { serializeUpdate } from "../contract.ts";
import { metadataDigest } from "../ledger/metadata-digest.ts";
import type { AttemptAnswer } from "../spot/client.ts";
import type { AppliedOutcome, FailedOutcome } from "../spot/outcome.ts";
import { MIN_ATTEMPT_MS } from "../spot/retry-policy.ts";
import { type Failure, keepFirstFailure, ReasonClass } from "../sqs/failure-attributes.ts";
import { CircuitBreaker, CircuitCause } from "./circuit-breaker.ts";
import { type Decided, type Decision, HandBackCause, handBack, staysInQueue } from "./decision.ts";
import type { ResolvedDeps } from "./deps.ts";
import { historyOf } from "./history.ts";
import type { Admission, Recorded } from "./ordering.ts";
import type { PaceReport, Pacer } from "./pacer.ts";
import type { Work } from "./plan.ts";
import { describe } from "./settle.ts";
import { handBackSeconds, ownFailureSeconds, paceSeconds } from "./waits.ts";

type Acquired = Extract<Admission, { kind: "acquired" }>;

/** A lease held elsewhere is mostly released within seconds: come back soon, not after a full backoff. */
const BUSY_RETRY_SECONDS = { min: 2, spread: 4 };

/** Tries of the ledger's record after a 200 (the SDK retries throttles inside each). */
const RECORD_TRIES = 3;
const RECORD_RETRY_MS = 100;

/** The state of one invocation: its circuit, its pace, its deadline. */
export class Invocation {
  readonly #deps: ResolvedDeps;
  readonly #breaker: CircuitBreaker;
  readonly #pacer: Pacer;
  readonly #startedAt: number;
  readonly #deadlineAt: number;
  /** The dead-letters of the current run of 404s: not the orders' own if the run opens the circuit. */
  #notFoundRun: Decision[] = [];
  #systemicLogged = false;
  #calls = 0;
  #refused = 0;

  /** @param pacer the processor's: the pace holds across invocations, not only within one */
  constructor(deps: ResolvedDeps, time: { startedAt: number; deadlineAt: number }, pacer: Pacer) {
    this.#deps = deps;
    this.#breaker = new CircuitBreaker(deps.config.circuitBreakerThreshold);
    this.#pacer = pacer;
    this.#startedAt = time.startedAt;
    this.#deadlineAt = time.deadlineAt;
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
              : handBack(
                  HandBackCause.heldBack,
                  `held back behind ${heldBack}, which goes back to the queue, in its FIFO group`,
                  0,
                  bodyOf(item),
                );
          if (staysInQueue(decision)) heldBack ??= item.record.messageId;
          out.push({
            record: item.record,
            publicId: item.message.publicId,
            metadata: item.message.metadata,
            decision,
            decidedAt: Date.now(),
          });
        }
        return out;
      }),
    );
    const decided = results.flat();
    if (this.#breaker.openedOnNotFound) this.#handBackNotFoundRun(decided);
    for (const item of decided) item.decision = this.#boundHandBacks(item.record, item.decision);
    return decided;
  }

  get pace(): PaceReport {
    return { calls: this.#calls, refused: this.#refused, perSecond: this.#pacer.perSecond };
  }

  invalid(record: SQSRecord, reason: string): Decision {
    return {
      kind: "deadLetter",
      body: record.body,
      failure: this.#failure(record, ReasonClass.invalid, reason, {}),
    };
  }

  async #apply(work: Work): Promise<Decision> {
    const { ordering } = this.#deps;
    const { publicId } = work.message;
    const blocked = this.#blocked(work);
    if (blocked) return blocked;

    let admission: Admission;
    try {
      admission = await ordering.admit(publicId, work.version, work.record.messageId);
    } catch (error) {
      const reason = `the applied-updates ledger failed: ${describe(error)}`;
      this.#reportSystemic(reason);
      return this.#handBack(work, HandBackCause.ledger, reason);
    }
    if (admission.kind === "superseded") {
      return { kind: "superseded", reason: "a newer or equal update for the order was already applied" };
    }
    if (admission.kind === "busy") {
      // A call in flight releases the lease within seconds; one whose write may still land keeps it
      // until it lapses. Come back soon, and never later than the lapse.
      const untilLapse = Math.ceil((admission.leaseUntil - Date.now()) / 1000);
      const soon = BUSY_RETRY_SECONDS.min + Math.round(this.#deps.random() * BUSY_RETRY_SECONDS.spread);
      const seconds = Math.max(1, Math.min(untilLapse, soon));
      return handBack(
        HandBackCause.busyLease,
        "another update of the order is, or may still be, in flight",
        seconds,
        bodyOf(work),
      );
    }

    await this.#pacer.take();
    const blockedAfterWait = this.#blocked(work, admission);
    if (blockedAfterWait) {
      if (!admission.renewed) await this.#release(work);
      return blockedAfterWait;
    }
    this.#calls++;
    const outcome = await this.#deps.spot.updateMetadata(publicId, work.message.metadata, {
      deadline: this.#callDeadline(admission),
      // The quick retries count against the pace at Spot like first attempts.
      beforeRetry: async () => {
        await this.#pacer.take();
        this.#calls++;
      },
      onAnswer: (answer) => this.#observe(answer),
    });
    if (outcome.kind === "applied") return this.#applied(work, outcome, admission);
    // A write that may still land keeps the lease until it lapses; so does an update that held it
    // already (an earlier call of it may still land).
    if (!outcome.mayHaveLanded && !admission.renewed) await this.#release(work);
    return await this.#failed(work, outcome);
  }

  /**
   * No write of the call may land after the lease: the call ends (retries included) the late-write
   * window before the lease lapses, and before the invocation's deadline.
   */
  #callDeadline(admission: Acquired): number {
    const { deadlineMarginMs, lateWriteWindowSeconds } = this.#deps.config;
    return Math.min(
      this.#deadlineAt - deadlineMarginMs / 2,
      admission.leaseUntil - lateWriteWindowSeconds * 1000,
    );
  }

  async #applied(work: Work, outcome: AppliedOutcome, admission: Acquired): Promise<Decision> {
    const { publicId } = work.message;
    const messageId = work.record.messageId;
    this.#breaker.recordSuccess();
    this.#notFoundRun = [];
    let recorded: Recorded | undefined;
    for (let tries = 1; recorded === undefined; tries++) {
      try {
        recorded = await this.#deps.ordering.applied(publicId, work.version, messageId, {
          reassert: admission.tookOver,
          // An earlier call (or attempt) of this update may still land: keep others out until it lapses.
          keepLease: admission.renewed || outcome.earlierAttemptMayLand,
          digest: metadataDigest(work.message.metadata),
        });
      } catch (error) {
        if (tries >= RECORD_TRIES) {
          // Never deleted unrecorded: once the lease lapsed an older update could be admitted.
          const reason = `applied, but the ledger could not record it: ${describe(error)}`;
          this.#reportSystemic(reason);
          return this.#handBack(work, HandBackCause.unrecorded, reason);
        }
        await sleep(RECORD_RETRY_MS * tries);
      }
    }
    const { status, attempts, latencyMs, drift } = outcome;
    if (drift.length > 0)
      this.#deps.logger.warn(
        { messageId, publicId, drift },
        "Spot's answer drifts from its documented order",
      );
    return {
      kind: "applied",
      status,
      attempts,
      latencyMs,
      drift,
      ...(recorded.reassert ? { reassertAfterSeconds: this.#deps.config.lateWriteWindowSeconds } : {}),
    };
  }

  async #failed(work: Work, outcome: FailedOutcome): Promise<Decision> {
    const { status, errorType, reason, attempts, latencyMs } = outcome;
    const failure = (reasonClass: ReasonClass) =>
      this.#failure(work.record, reasonClass, reason, { status, errorType, details: outcome.details });
    const retry = (cause: HandBackCause, waitSeconds: number): Decision => ({
      kind: "retry",
      cause,
      reason,
      waitSeconds,
      body: bodyOf(work),
      ...(status === undefined ? {} : { status }),
      ...(errorType === undefined ? {} : { errorType }),
      attempts,
      latencyMs,
    });
    if (outcome.kind === "permanent") {
      const decision: Decision = {
        kind: "deadLetter",
        body: bodyOf(work),
        failure: failure(ReasonClass.permanent),
        attempts,
        latencyMs,
      };
      if (status === 404) {
        this.#notFoundRun.push(decision);
        if (this.#breaker.recordNotFound()) await this.#checkBaseUrl();
      }
      return decision;
    }
    if (outcome.kind === "systemic") {
      this.#breaker.open(reason);
      this.#deps.onSystemicFailure?.();
      this.#reportSystemic(reason, { status, errorType, details: outcome.details });
      return retry(HandBackCause.systemic, this.#handBackSeconds(work));
    }
    if (status === 429) {
      return retry(
        HandBackCause.pace,
        paceSeconds(this.#deps.config, outcome.retryAfterMs, this.#pacer.waitMs()),
      );
    }
    if (errorType === "deadline" || errorType === "aborted") return retry(HandBackCause.deadline, 0);
    if (outcome.foreign) {
      this.#breaker.recordForeignAnswer();
      if (this.#breaker.cause === CircuitCause.systemic) this.#reportSystemic(this.#breaker.reason);
      return retry(HandBackCause.systemic, this.#handBackSeconds(work, outcome.retryAfterMs));
    }
    this.#breaker.recordTransientFailure();
    const ownFailures = historyOf(work.record).ownFailures + 1;
    if (ownFailures >= this.#deps.config.maxReceiveCount) {
      return {
        kind: "deadLetter",
        body: bodyOf(work),
        failure: failure(ReasonClass.exhausted),
        attempts,
        latencyMs,
      };
    }
    return retry(HandBackCause.ownFailure, this.#ownFailureSeconds(ownFailures, outcome.retryAfterMs));
  }

  /** Every answer, retries' included, teaches the instance's pace. */
  #observe(answer: AttemptAnswer): void {
    if (answer.status === 429) this.#refused++;
    this.#pacer.observe(answer);
  }

  /** Why no call should start now (circuit open, deadline or lease too near), as the hand-back. */
  #blocked(work: Work, admission?: Acquired): Decision | undefined {
    if (this.#breaker.isOpen) {
      const cause =
        this.#breaker.cause === CircuitCause.transient ? HandBackCause.circuit : HandBackCause.systemic;
      return this.#handBack(work, cause, this.#breaker.reason);
    }
    if (this.#deadlineAt - Date.now() < this.#deps.config.deadlineMarginMs) {
      return handBack(
        HandBackCause.deadline,
        "too little of the invocation's time left to start a call",
        0,
        bodyOf(work),
      );
    }
    if (admission !== undefined && this.#callDeadline(admission) - Date.now() < MIN_ATTEMPT_MS) {
      return handBack(
        HandBackCause.deadline,
        "too little of the order's lease left to start a call",
        0,
        bodyOf(work),
      );
    }
    return undefined;
  }

  /**
   * A message handed back, for causes not its own, for longer than the queue would have kept it
   * (each hand-back is a new message, so the queue's retention no longer bounds it): dead-lettered
   * as `exhausted` with the cause, where it is seen and can be replayed, instead of going round for ever.
   */
  #boundHandBacks(record: SQSRecord, decision: Decision): Decision {
    if (decision.kind !== "retry" || decision.cause === HandBackCause.ownFailure) return decision;
    const ageSeconds = (Date.now() - historyOf(record).firstSentAt) / 1000;
    if (ageSeconds <= this.#deps.config.maxHandBackAgeSeconds) return decision;
    const hours = (ageSeconds / 3600).toFixed(1);
    const reason = `handed back for ${hours} h without a failure of its own; the last cause: ${decision.cause}: ${decision.reason}`;
    return {
      kind: "deadLetter",
      body: decision.body,
      failure: this.#failure(record, ReasonClass.exhausted, reason, {
        ...(decision.status === undefined ? {} : { status: decision.status }),
        ...(decision.errorType === undefined ? {} : { errorType: decision.errorType }),
      }),
    };
  }

  /** A run of 404s: the orders' own if Spot's list answers at this base URL, else the base URL's fault. */
  async #checkBaseUrl(): Promise<void> {
    const probe = await this.#deps.baseUrlCheck.verify();
    if (probe === "found") return;
    const run = this.#notFoundRun.length;
    this.#breaker.openOnNotFound(
      probe === "not_found"
        ? `${run} orders in a row answered 404, and so did Spot's list of orders: is the base URL right?`
        : `${run} orders in a row answered 404, and Spot's list of orders could not be read to tell a wrong base URL from missing orders`,
    );
    this.#reportSystemic(this.#breaker.reason);
  }

  /** The dead-letters of a run of 404s that opened the circuit go back: a wrong base URL, not the orders. */
  #handBackNotFoundRun(decided: Decided[]): void {
    const run = new Set(this.#notFoundRun);
    for (const item of decided) {
      if (!run.has(item.decision) || item.decision.kind !== "deadLetter") continue;
      item.decision = handBack(
        HandBackCause.systemic,
        this.#breaker.reason,
        this.#deps.config.backoffBaseSeconds,
        item.decision.body,
      );
    }
  }

  #handBack(work: Work, cause: HandBackCause, reason: string): Decision {
    return handBack(cause, reason, this.#handBackSeconds(work), bodyOf(work));
  }

  #handBackSeconds(work: Work, retryAfterMs?: number): number {
    return handBackSeconds(
      this.#deps.config,
      historyOf(work.record).handBacks + 1,
      retryAfterMs,
      this.#deps.random,
    );
  }

  #ownFailureSeconds(ownFailures: number, retryAfterMs?: number): number {
    return ownFailureSeconds(
      this.#deps.config,
      ownFailures,
      retryAfterMs,
      this.#deps.random,
      this.#startedAt,
    );
  }

  async #release(work: Work): Promise<void> {
    try {
      await this.#deps.ordering.release(work.message.publicId, work.version);
    } catch (error) {
      // The lease lapses on its own; the order is only delayed.
      this.#deps.logger.warn(
        { messageId: work.record.messageId, publicId: work.message.publicId, error: describe(error) },
        "lease not released",
      );
    }
  }

  #failure(
    record: SQSRecord,
    reasonClass: ReasonClass,
    reason: string,
    extra: { status?: number; errorType?: string; details?: string[] },
  ): Failure {
    const now = new Date();
    const history = historyOf(record);
    const firstReceive = Number(record.attributes.ApproximateFirstReceiveTimestamp);
    const earlier = history.ownFailures + history.handBacks > 0;
    return {
      reasonClass,
      reason,
      ...(extra.status === undefined ? {} : { status: extra.status }),
      ...(extra.errorType === undefined ? {} : { errorType: extra.errorType }),
      details: extra.details ?? [reason],
      attempts: history.ownFailures + 1,
      firstFailureAt: keepFirstFailure(
        record.messageAttributes,
        earlier && firstReceive > 0 ? new Date(Math.min(firstReceive, Date.now())) : now,
      ),
      lastFailureAt: now,
    };
  }

  /**
   * One error line per invocation that names the real cause of a systemic hand-back (the token's
   * secret, a redirect, a gateway, the ledger…), for the on-call engineer the alarm wakes.
   */
  #reportSystemic(reason: string, fields: Record<string, unknown> = {}): void {
    if (this.#systemicLogged) return;
    this.#systemicLogged = true;
    this.#deps.logger.error(
      { ...fields, alarm: "SystemicFailures" },
      `${reason}: nothing is dead-lettered, every message goes back to the queue.`,
    );
  }
}

/** The body to dead-letter or requeue: stamped with its version, so a replay keeps its place in line. */
function bodyOf(work: Work): string {
  if (work.message.issuedAt !== undefined) return work.record.body;
  return serializeUpdate({ ...work.message, issuedAt: new Date(work.version.issuedAt).toISOString() });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
