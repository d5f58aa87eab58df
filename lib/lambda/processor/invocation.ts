/**
 * One invocation's work on the updates of a batch: the calls to the ledger and to Spot, its circuit
 * breaker, its pace, its deadline. What each record comes to is decided in decide.ts, from what
 * happened here.
 */

import type { SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { serializeUpdate } from "../contract.ts";
import { describeError } from "../errors.ts";
import { metadataDigest } from "../ledger/metadata-digest.ts";
import type { AttemptAnswer } from "../spot/client.ts";
import type { AppliedOutcome, FailedOutcome } from "../spot/outcome.ts";
import { MIN_ATTEMPT_MS } from "../spot/retry-policy.ts";
import { CircuitBreaker, CircuitCause } from "./circuit-breaker.ts";
import { decide, type Happening, type Policy, Reading, readAnswer } from "./decide.ts";
import { type Decided, type Decision, HandBackCause, staysInQueue } from "./decision.ts";
import type { ResolvedDeps } from "./deps.ts";
import type { Admission, Recorded } from "./ordering.ts";
import type { PaceReport, Pacer } from "./pacer.ts";
import type { Work } from "./plan.ts";

type Acquired = Extract<Admission, { kind: "acquired" }>;

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
              : this.#decide(item, { kind: "heldBack", behind: heldBack });
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
    return decided;
  }

  get pace(): PaceReport {
    return { calls: this.#calls, refused: this.#refused, perSecond: this.#pacer.perSecond };
  }

  invalid(record: SQSRecord, reason: string): Decision {
    return decide({ kind: "invalid", reason }, { record, body: record.body }, this.#policy());
  }

  async #apply(work: Work): Promise<Decision> {
    const { ordering } = this.#deps;
    const { publicId } = work.message;
    const blocked = this.#blocked();
    if (blocked) return this.#decide(work, blocked);

    let admission: Admission;
    try {
      admission = await ordering.admit(publicId, work.version, work.record.messageId);
    } catch (error) {
      const reason = `the applied-updates ledger failed: ${describeError(error)}`;
      this.#reportSystemic(reason);
      return this.#decide(work, { kind: "ledgerFailed", cause: HandBackCause.ledger, reason });
    }
    // Superseded or busy: the ledger's answer is the happening itself.
    if (admission.kind !== "acquired") return this.#decide(work, admission);

    const latest = this.#latestStart(admission);
    const started = await this.#pacer.take(latest.at);
    const blockedAfterWait = started
      ? this.#blocked(admission)
      : ({ kind: "noTime", of: latest.of } as const);
    if (blockedAfterWait) {
      if (!admission.renewed) await this.#release(work);
      return this.#decide(work, blockedAfterWait);
    }
    this.#calls++;
    const outcome = await this.#deps.spot.updateMetadata(publicId, work.message.metadata, {
      deadline: this.#callDeadline(admission),
      // The quick retries count against the pace at Spot like first attempts.
      beforeRetry: async () => {
        if (!(await this.#pacer.take(this.#latestStart(admission).at))) return false;
        this.#calls++;
        return true;
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
          const reason = `applied, but the ledger could not record it: ${describeError(error)}`;
          this.#reportSystemic(reason);
          return this.#decide(work, { kind: "ledgerFailed", cause: HandBackCause.unrecorded, reason });
        }
        await sleep(RECORD_RETRY_MS * tries);
      }
    }
    const { drift } = outcome;
    if (drift.length > 0)
      this.#deps.logger.warn(
        { messageId, publicId, drift },
        "Spot's answer drifts from its documented order",
      );
    return this.#decide(work, { kind: "applied", outcome, reassert: recorded.reassert });
  }

  /** Decides, then tells the circuit what the answer showed (the run it extends, or opens it). */
  async #failed(work: Work, outcome: FailedOutcome): Promise<Decision> {
    const decision = this.#decide(work, { kind: "failed", outcome, paceWaitMs: this.#pacer.waitMs() });
    switch (readAnswer(outcome)) {
      case Reading.permanent:
        if (outcome.status === 404) {
          this.#notFoundRun.push(decision);
          if (this.#breaker.recordNotFound()) await this.#checkBaseUrl();
        }
        break;
      case Reading.systemic: {
        const { status, errorType, details, reason } = outcome;
        this.#breaker.open(reason);
        this.#deps.onSystemicFailure?.();
        this.#reportSystemic(reason, { status, errorType, details });
        break;
      }
      case Reading.foreign:
        this.#breaker.recordForeignAnswer();
        if (this.#breaker.cause === CircuitCause.systemic) this.#reportSystemic(this.#breaker.reason);
        break;
      case Reading.own:
        this.#breaker.recordTransientFailure();
        break;
    }
    return decision;
  }

  /** Every answer, retries' included, teaches the instance's pace. */
  #observe(answer: AttemptAnswer): void {
    if (answer.status === 429) this.#refused++;
    this.#pacer.observe(answer);
  }

  /**
   * The last moments a call may start: before the invocation's margin, and once admitted, with time
   * for an attempt before its call deadline (the lease's). The pace's wait and {@link #blocked} both
   * read them.
   */
  #latestStarts(admission?: Acquired): { invocation: number; lease: number } {
    return {
      invocation: this.#deadlineAt - this.#deps.config.deadlineMarginMs,
      lease:
        admission === undefined ? Number.POSITIVE_INFINITY : this.#callDeadline(admission) - MIN_ATTEMPT_MS,
    };
  }

  /** The earlier of the two, and which it is. */
  #latestStart(admission: Acquired): { at: number; of: "invocation" | "lease" } {
    const { invocation, lease } = this.#latestStarts(admission);
    return invocation <= lease ? { at: invocation, of: "invocation" } : { at: lease, of: "lease" };
  }

  /** Why no call should start now (circuit open, deadline or lease too near), if any. */
  #blocked(admission?: Acquired): Happening | undefined {
    if (this.#breaker.isOpen) {
      return { kind: "circuitOpen", cause: this.#breaker.cause, reason: this.#breaker.reason };
    }
    const now = Date.now();
    const latest = this.#latestStarts(admission);
    if (now > latest.invocation) return { kind: "noTime", of: "invocation" };
    if (now > latest.lease) return { kind: "noTime", of: "lease" };
    return undefined;
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
      item.decision = decide(
        { kind: "notFoundRun", reason: this.#breaker.reason },
        { record: item.record, body: item.decision.body },
        this.#policy(),
      );
    }
  }

  #decide(work: Work, happening: Happening): Decision {
    return decide(happening, { record: work.record, body: bodyOf(work) }, this.#policy());
  }

  #policy(): Policy {
    const { config, random } = this.#deps;
    return { config, random, startedAt: this.#startedAt, now: Date.now() };
  }

  async #release(work: Work): Promise<void> {
    try {
      await this.#deps.ordering.release(work.message.publicId, work.version);
    } catch (error) {
      // The lease lapses on its own; the order is only delayed.
      this.#deps.logger.warn(
        { messageId: work.record.messageId, publicId: work.message.publicId, error: describeError(error) },
        "lease not released",
      );
    }
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
