/**
 * The sandbox's pending work: delayed answers and late commits. Kept in one place so that close()
 * can cancel all of it (a timer left behind would hold the process open, or write to a store after
 * the test that owned it ended) and so that a caller can wait until no late commit is pending.
 */
export class PendingTimers {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #commits = new Set<NodeJS.Timeout>();
  #waiters: Array<() => void> = [];

  /** Runs `run` after `delayMs`; `commit` marks it as a late commit, which settled() waits for. */
  schedule(delayMs: number, run: () => void, commit = false): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#commits.delete(timer);
      try {
        run();
      } finally {
        this.#wakeIfSettled();
      }
    }, delayMs);
    this.#timers.add(timer);
    if (commit) this.#commits.add(timer);
  }

  /** Resolves once no late commit is pending (at once when none is). */
  settled(): Promise<void> {
    if (this.#commits.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Cancels everything pending; whoever waits in settled() is let go. */
  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#commits.clear();
    this.#wakeIfSettled();
  }

  #wakeIfSettled(): void {
    if (this.#commits.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
