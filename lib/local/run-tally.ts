/**
 * Counts what the pipeline did from its own log lines (one per message outcome), so the local run's
 * report says exactly what the handler decided, without a second bookkeeping.
 */

export interface RunTally {
  applied: number;
  superseded: number;
  deadLettered: number;
  /** Handed back to the queue (visibility backoff) or requeued. */
  retries: number;
  /** Dead-lettered, by reason: `permanent 404 not_found`, `invalid`, … */
  deadLetteredBy: Map<string, number>;
  /** Lines at error level (e.g. a refused token). */
  errors: number;
}

export function createTally(): RunTally & { add(line: string): void } {
  const tally: RunTally = {
    applied: 0,
    superseded: 0,
    deadLettered: 0,
    retries: 0,
    deadLetteredBy: new Map(),
    errors: 0,
  };
  return Object.assign(tally, {
    add(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.level === "error") tally.errors += 1;
      switch (entry.outcome) {
        case "applied":
          tally.applied += 1;
          break;
        case "superseded":
          tally.superseded += 1;
          break;
        case "dead-lettered": {
          tally.deadLettered += 1;
          const reason = [entry.reasonClass, entry.status, entry.errorType]
            .filter((part) => part !== undefined)
            .join(" ");
          tally.deadLetteredBy.set(reason, (tally.deadLetteredBy.get(reason) ?? 0) + 1);
          break;
        }
        case "retry":
        case "requeued":
        case "kept":
          tally.retries += 1;
          break;
      }
    },
  });
}
