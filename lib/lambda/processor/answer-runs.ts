/**
 * What one invocation reads from runs of Spot's answers, beyond each answer alone: its circuit (stop
 * calling Spot), a run of 404s that a wrong base URL would explain, Spot's outage, and the one loud
 * error line a systemic hand-back earns. The invocation tells it every answer and asks it, at the
 * end, what each failure turned out to be.
 */
import type { Logger } from "../logger.ts";
import type { FailedOutcome } from "../spot/outcome.ts";
import type { BaseUrlCheck } from "./base-url-check.ts";
import { CircuitBreaker, CircuitCause } from "./circuit-breaker.ts";
import { type Happening, Reading } from "./decide.ts";
import type { FailureMark, SpotHealth } from "./spot-health.ts";

export interface AnswerRunsDeps {
  threshold: number;
  health: SpotHealth;
  baseUrlCheck: BaseUrlCheck;
  logger: Logger;
  onSystemicFailure?: (() => void) | undefined;
}

export class AnswerRuns {
  readonly #deps: AnswerRunsDeps;
  readonly #breaker: CircuitBreaker;
  #systemicLogged = false;

  constructor(deps: AnswerRunsDeps) {
    this.#deps = deps;
    this.#breaker = new CircuitBreaker(deps.threshold);
  }

  /** Why no call should start now, if the circuit is open. */
  get circuitOpen(): Happening | undefined {
    if (!this.#breaker.isOpen) return undefined;
    return { kind: "circuitOpen", cause: this.#breaker.cause, reason: this.#breaker.reason };
  }

  applied(publicId: string): void {
    this.#breaker.recordSuccess();
    this.#deps.health.applied(publicId);
  }

  /** A failure at Spot: a mark if it was a failure of Spot's (judged again at the end). */
  failed(publicId: string, reading: Reading): FailureMark | undefined {
    return reading === Reading.own ? this.#deps.health.failed(publicId) : undefined;
  }

  /** Whether a failure, as things stand, is Spot's outage rather than the message's own. */
  isOutage(mark: FailureMark): boolean {
    return this.#deps.health.isOutage(mark);
  }

  /** Tells the circuit what a failed answer showed; a run of 404s asks whether the base URL is right. */
  async tell(reading: Reading, outcome: FailedOutcome): Promise<void> {
    switch (reading) {
      case Reading.permanent:
        if (outcome.status === 404 && this.#breaker.recordNotFound()) await this.#checkBaseUrl();
        break;
      case Reading.systemic: {
        const { status, errorType, logReason } = outcome;
        this.#breaker.open(logReason);
        this.#deps.onSystemicFailure?.();
        this.reportSystemic(logReason, { status, errorType });
        break;
      }
      case Reading.foreign:
        this.#breaker.recordForeignAnswer();
        if (this.#breaker.cause === CircuitCause.systemic) this.reportSystemic(this.#breaker.reason);
        break;
      case Reading.own:
        this.#breaker.recordTransientFailure();
        break;
    }
  }

  /**
   * What the end of the invocation tells of a happening: a 404 of a run that opened the circuit was
   * the base URL's, not the order's; a failure while other orders failed too, with none applied
   * since, was Spot's outage, not the message's.
   */
  judgedAtEnd(happening: Happening, mark: FailureMark | undefined): Happening {
    if (happening.kind !== "failed") return happening;
    const { outcome } = happening;
    if (this.#breaker.openedOnNotFound && outcome.kind === "permanent" && outcome.status === 404)
      return { kind: "notFoundRun", reason: this.#breaker.reason };
    if (mark !== undefined && this.#deps.health.isOutage(mark))
      return { ...happening, outage: { failingOrders: this.#deps.health.failingOrders } };
    return happening;
  }

  /**
   * One error line per invocation that names the real cause of a systemic hand-back (the token's
   * secret, a redirect, a gateway, the ledger…), for the on-call engineer the alarm wakes.
   */
  reportSystemic(reason: string, fields: Record<string, unknown> = {}): void {
    if (this.#systemicLogged) return;
    this.#systemicLogged = true;
    this.#deps.logger.error(
      { ...fields, alarm: "SystemicFailures" },
      `${reason}: nothing is dead-lettered, every message goes back to the queue.`,
    );
  }

  /** A run of 404s: the orders' own if Spot still has what it surely has, else not theirs. */
  async #checkBaseUrl(): Promise<void> {
    const probe = await this.#deps.baseUrlCheck.verify();
    if (probe === "found") return;
    const run = this.#deps.threshold;
    this.#breaker.openOnNotFound(
      probe === "not_found"
        ? `${run} orders in a row answered 404, and so did what Spot surely has (an order applied before, or its list of orders): is the base URL right?`
        : `${run} orders in a row answered 404, and neither an order Spot surely has nor Spot's list of orders could be read to tell a wrong base URL from missing orders`,
    );
    this.reportSystemic(this.#breaker.reason);
  }
}
