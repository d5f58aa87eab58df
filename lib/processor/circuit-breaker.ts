/**
 * Stops calling Spot for the rest of an invocation once it has failed transiently too many times in
 * a row, or said the token is wrong: the remaining messages are handed back with backoff instead of
 * each burning a timeout against a service that is down.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  #consecutiveFailures = 0;
  #openReason: string | undefined;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  get isOpen(): boolean {
    return this.#openReason !== undefined;
  }

  /** Why the circuit opened, for the log line of each message it holds back. */
  get reason(): string {
    return this.#openReason ?? "";
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0;
  }

  recordTransientFailure(): void {
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= this.#threshold && !this.isOpen) {
      this.#openReason = `circuit open after ${this.#consecutiveFailures} consecutive transient failures at Spot`;
    }
  }

  /** A systemic failure (the token) will fail every call the same way: open at once. */
  open(reason: string): void {
    this.#openReason ??= reason;
  }
}
