/**
 * One invocation's work on the updates of a batch: the calls to the ledger and to Spot, its circuit
 * breaker, its pace, its deadline. What happened to each update is collected first and decided at
 * the end (decide.ts), when the invocation knows what a run of answers meant: a run of 404s at a
 * wrong base URL, or failures across orders that were Spot's outage, not the messages'.
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { serializeUpdate } from "../contract.ts";
import { describeError } from "../errors.ts";
import { metadataDigest } from "../ledger/metadata-digest.ts";
import type { AttemptAnswer } from "../spot/client.ts";
import type { AppliedOutcome, FailedOutcome } from "../spot/outcome.ts";
import { AnswerRuns } from "./answer-runs.ts";
import { CallWindow } from "./call-window.ts";
import { decide, type Happening, type Policy, Reading, readAnswer } from "./decide.ts";
import { type Decided, type Decision, HandBackCause, staysInQueue } from "./decision.ts";
import type { ResolvedDeps } from "./deps.ts";
import type { Lease } from "./ordering.ts";
import type { PaceReport, Pacer } from "./pacer.ts";
import type { OrderWork, Work } from "./plan.ts";
import type { FailureMark } from "./spot-health.ts";

/** Tries of the ledger's record after a 200 (the SDK retries throttles inside each). */
const RECORD_TRIES = 3;
const RECORD_RETRY_MS = 100;

/** What happened to one update, and when; `mark`: a failure at Spot, judged again at the end. */
interface Happened {
  work: Work;
  happening: Happening;
  at: number;
  mark?: FailureMark;
}

/** The state of one invocation: its circuit, its pace, its deadline. */
export class Invocation {
  readonly #deps: ResolvedDeps;
  readonly #runs: AnswerRuns;
  readonly #pacer: Pacer;
  readonly #startedAt: number;
  readonly #window: CallWindow;
  #calls = 0;
  #refused = 0;

  /** @param pacer the processor's: the pace holds across invocations, not only within one */
  constructor(deps: ResolvedDeps, time: { startedAt: number; deadlineAt: number }, pacer: Pacer) {
    this.#deps = deps;
    this.#runs = new AnswerRuns({
      threshold: deps.config.circuitBreakerThreshold,
      health: deps.health,
      baseUrlCheck: deps.baseUrlCheck,
      logger: deps.logger,
      onSystemicFailure: deps.onSystemicFailure,
    });
    this.#pacer = pacer;
    this.#startedAt = time.startedAt;
    this.#window = new CallWindow(deps.config, time.deadlineAt);
  }

  /** Runs the updates: different orders concurrently (bounded), one lane (order or FIFO group) in turn. */
  async applyAll(work: OrderWork[]): Promise<Decided[]> {
    const limit = pLimit(this.#deps.config.concurrency);
    const lanes = Map.groupBy(work, (item) => item.laneKey);
    const happened = await Promise.all(
      [...lanes.values()].map(async (lane) => {
        const out: Happened[] = [];
        let heldBack: string | undefined;
        for (const item of lane) {
          const next =
            heldBack === undefined
              ? await limit(() => this.#applyNewestFirst(item))
              : [item, ...item.older].map((w) =>
                  this.#happened(w, { kind: "heldBack", behind: heldBack as string }),
                );
          const kept = next.find(({ work: w, happening }) => staysInQueue(this.#decide(w, happening)));
          heldBack ??= kept?.work.record.messageId;
          out.push(...next);
        }
        return out;
      }),
    );
    return happened.flat().map(({ work: item, happening, at, mark }) => ({
      record: item.record,
      publicId: item.message.publicId,
      issuedAt: new Date(item.version.issuedAt).toISOString(),
      metadata: item.message.metadata,
      decision: this.#decide(item, this.#runs.judgedAtEnd(happening, mark)),
      decidedAt: at,
    }));
  }

  get pace(): PaceReport {
    return { calls: this.#calls, refused: this.#refused, perSecond: this.#pacer.perSecond };
  }

  invalid(record: SQSRecord, reason: string): Decision {
    return decide({ kind: "invalid", reason }, { record, body: record.body }, this.#policy());
  }

  /**
   * An order's updates in the batch, newest first: the next is tried only when Spot refused the one
   * before for good (400, 404, 422), so the order ends with its greatest update Spot accepts. Once
   * one is applied (or a newer one was), the rest are superseded; if it goes back to the queue, so
   * do they, behind it, in case Spot refuses it later.
   */
  async #applyNewestFirst(order: OrderWork): Promise<Happened[]> {
    const updates = [order, ...order.older];
    const happened: Happened[] = [];
    for (const [index, work] of updates.entries()) {
      const next = await this.#apply(work);
      happened.push(next);
      const { happening } = next;
      if (happening.kind === "failed" && readAnswer(happening.outcome) === Reading.permanent) continue;
      const done = happening.kind === "applied" || happening.kind === "superseded";
      const rest: Happening = done
        ? { kind: "superseded" }
        : { kind: "behindNewer", newer: work.record.messageId };
      for (const older of updates.slice(index + 1)) happened.push(this.#happened(older, rest));
      break;
    }
    return happened;
  }

  async #apply(work: Work): Promise<Happened> {
    const blocked = this.#blocked();
    if (blocked) return this.#happened(work, blocked);
    const { publicId } = work.message;
    const callDeadline = this.#window.callDeadline();
    let admission: Awaited<ReturnType<ResolvedDeps["ordering"]["admit"]>>;
    try {
      const holdUntil = callDeadline + this.#window.lateWriteMs;
      admission = await this.#deps.ordering.admit(publicId, work.version, holdUntil);
    } catch (error) {
      const reason = `the applied-updates ledger failed: ${describeError(error)}`;
      this.#runs.reportSystemic(reason);
      return this.#happened(work, { kind: "ledgerFailed", cause: HandBackCause.ledger, reason });
    }
    // Superseded or busy: the ledger's answer is the happening itself.
    if (admission.kind !== "acquired") return this.#happened(work, admission);
    const { lease } = admission;

    const latest = this.#window.latestStart(callDeadline);
    const notStarted = (await this.#pacer.take(latest.at))
      ? this.#blocked(callDeadline)
      : ({ kind: "noTime", of: latest.of } as const);
    if (notStarted) {
      await this.#let(lease, () => this.#deps.ordering.release(lease));
      return this.#happened(work, notStarted);
    }
    this.#calls++;
    const outcome = await this.#deps.spot.updateMetadata(publicId, work.message.metadata, {
      deadline: callDeadline,
      // The quick retries count against the pace at Spot like first attempts.
      beforeRetry: () => this.#startRetry(this.#window.latestStart(callDeadline).at),
      onAnswer: (answer) => this.#observe(answer),
    });
    if (outcome.kind === "applied") return await this.#applied(work, outcome, lease);
    return await this.#failed(work, outcome, lease);
  }

  /** A retry's start from the instance's pace, unless it would come after `latestStart`; counts the call. */
  async #startRetry(latestStart: number): Promise<boolean> {
    if (!(await this.#pacer.take(latestStart))) return false;
    this.#calls++;
    return true;
  }

  async #applied(work: Work, outcome: AppliedOutcome, lease: Lease): Promise<Happened> {
    const { publicId } = work.message;
    const messageId = work.record.messageId;
    this.#runs.applied(publicId);
    const at = Date.now();
    let recorded: Awaited<ReturnType<ResolvedDeps["ordering"]["recordApplied"]>>;
    try {
      recorded = await retrying(RECORD_TRIES, RECORD_RETRY_MS, () =>
        this.#deps.ordering.recordApplied(lease, {
          messageId,
          digest: metadataDigest(work.message.metadata),
          // An earlier attempt of the call may still land: the order stays closed until it cannot.
          ...(outcome.earlierAttemptMayLand ? { reopensAt: Date.now() + this.#window.lateWriteMs } : {}),
        }),
      );
    } catch (error) {
      // Never deleted unrecorded: once the hold ends an older update could be admitted.
      const reason = `applied, but the ledger could not record it: ${describeError(error)}`;
      this.#runs.reportSystemic(reason);
      return { work, at, happening: { kind: "ledgerFailed", cause: HandBackCause.unrecorded, reason } };
    }
    if (recorded === "lost") return { work, at, happening: { kind: "lost" } };
    const { drift } = outcome;
    if (drift.length > 0)
      this.#deps.logger.warn(
        { messageId, publicId, drift },
        "Spot's answer drifts from its documented order",
      );
    return { work, at, happening: { kind: "applied", outcome } };
  }

  /**
   * Lets go of the order as the answer allows (it reopens when the call's write can no longer land,
   * or at once if nothing was written), and tells the circuit what the answer showed.
   */
  async #failed(work: Work, outcome: FailedOutcome, lease: Lease): Promise<Happened> {
    const { publicId } = work.message;
    const reading = readAnswer(outcome);
    const mark = this.#runs.failed(publicId, reading);
    const ownFailure = mark !== undefined && !this.#runs.isOutage(mark);
    const ownFailures = await this.#let(lease, () =>
      outcome.mayHaveLanded
        ? this.#deps.ordering.settle(lease, { reopensAt: Date.now() + this.#window.lateWriteMs, ownFailure })
        : this.#deps.ordering.release(lease, { ownFailure }),
    );
    await this.#runs.tell(reading, outcome);
    const happening: Happening = { kind: "failed", outcome, paceWaitMs: this.#pacer.waitMs(), ownFailures };
    return { work, happening, at: Date.now(), ...(mark === undefined ? {} : { mark }) };
  }

  /** Every answer, retries' included, teaches the instance's pace. */
  #observe(answer: AttemptAnswer): void {
    if (answer.status === 429) this.#refused++;
    this.#pacer.observe(answer);
  }

  /** Why no call should start now (circuit open, deadline or the call's own latest start passed), if any. */
  #blocked(callDeadline?: number): Happening | undefined {
    const circuitOpen = this.#runs.circuitOpen;
    if (circuitOpen) return circuitOpen;
    const tooLate = this.#window.tooLate(callDeadline);
    return tooLate === undefined ? undefined : { kind: "noTime", of: tooLate };
  }

  #happened(work: Work, happening: Happening): Happened {
    return { work, happening, at: Date.now() };
  }

  #decide(work: Work, happening: Happening): Decision {
    return decide(happening, { record: work.record, body: bodyOf(work) }, this.#policy());
  }

  #policy(): Policy {
    const { config, random } = this.#deps;
    return { config, random, startedAt: this.#startedAt, now: Date.now() };
  }

  /**
   * Lets go of the order through the ledger; if that fails, the hold ends on its own at
   * `lease.until` (only later than it might) and the failure count is the message's.
   */
  async #let(lease: Lease, write: () => Promise<number | undefined>): Promise<number | undefined> {
    try {
      return await write();
    } catch (error) {
      this.#deps.logger.warn(
        { publicId: lease.publicId, error: describeError(error) },
        "the order's hold was not let go; it ends on its own",
      );
      return undefined;
    }
  }
}

/** `write`, tried up to `tries` times, waiting `delayMs` × the try between. */
async function retrying<T>(tries: number, delayMs: number, write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= tries) throw error;
      await sleep(delayMs * attempt);
    }
  }
}

/** The body to dead-letter or requeue: stamped with its version, so a replay keeps its place in line. */
function bodyOf(work: Work): string {
  if (work.message.issuedAt !== undefined) return work.record.body;
  return serializeUpdate({ ...work.message, issuedAt: new Date(work.version.issuedAt).toISOString() });
}
