/**
 * Stops calling Spot for the rest of an invocation once calls have failed too many times in a row,
 * or once it is clear the failure is not the messages' own: the remaining messages are handed back
 * instead of each burning a call against a service that is down or a path that is wrong.
 *
 * It counts three runs, each broken by an applied call: transient failures at Spot (the circuit
 * opens for Spot's sake), answers that are not Spot's (a gateway or proxy in front of it), and 404s
 * (a wrong base URL looks like every order missing; the caller tells the two apart). The last two
 * are systemic.
 *
 * Not a library's (opossum, cockatiel): those wrap one function and half-open on a timer; this one
 * lives for one invocation, never half-opens, and counts by what each answer proved, which they
 * cannot see.
 */
export const CircuitCause = {
  /** Spot failed transiently too often in a row. */
  transient: "transient",
  /** Not the messages' fault: the token, a redirect, a run of foreign answers or of 404s. */
  systemic: "systemic",
} as const;
export type CircuitCause = (typeof CircuitCause)[keyof typeof CircuitCause];

export class CircuitBreaker {
  readonly #threshold: number;
  #transientRun = 0;
  #foreignRun = 0;
  #notFoundRun = 0;
  #open: { cause: CircuitCause; reason: string; notFoundRun: boolean } | undefined;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  /** Why the circuit opened, for the log line of each message it holds back. */
  get reason(): string {
    return this.#open?.reason ?? "";
  }

  get cause(): CircuitCause | undefined {
    return this.#open?.cause;
  }

  /** It opened on a run of 404s: those 404s were not the orders' own either. */
  get openedOnNotFound(): boolean {
    return this.#open?.notFoundRun ?? false;
  }

  recordSuccess(): void {
    this.#transientRun = 0;
    this.#foreignRun = 0;
    this.#notFoundRun = 0;
  }

  recordTransientFailure(): void {
    this.#transientRun += 1;
    if (this.#transientRun >= this.#threshold) {
      this.#openOnce(
        CircuitCause.transient,
        `circuit open after ${this.#transientRun} consecutive transient failures at Spot`,
      );
    }
  }

  /** An answer that is not Spot's (a gateway's JSON, a 200 that is no order of this id). */
  recordForeignAnswer(): void {
    this.#foreignRun += 1;
    if (this.#foreignRun >= this.#threshold) {
      this.#openOnce(
        CircuitCause.systemic,
        `circuit open after ${this.#foreignRun} answers in a row that were not Spot's (a gateway or proxy in front of it, or a wrong base URL?)`,
      );
    }
  }

  /**
   * A 404 in Spot's envelope. @returns true when it makes a run as long as the threshold: the caller
   * then checks the base URL, and either opens the circuit ({@link openOnNotFound}) or lets the run go.
   */
  recordNotFound(): boolean {
    this.#notFoundRun += 1;
    return this.#notFoundRun === this.#threshold;
  }

  /** The run of 404s was the base URL's fault: open, and say so. */
  openOnNotFound(reason: string): void {
    this.#openOnce(CircuitCause.systemic, reason, true);
  }

  /** A systemic failure (the token) will fail every call the same way: open at once. */
  open(reason: string): void {
    this.#openOnce(CircuitCause.systemic, reason);
  }

  #openOnce(cause: CircuitCause, reason: string, notFoundRun = false): void {
    this.#open ??= { cause, reason, notFoundRun };
  }
}
