/**
 * Runs the checks of a verify run a few at a time, and commits their findings in the order of the
 * steps: the report and the counts then always stand for every step before the position, which is
 * what a checkpoint records and a resumed run starts from. Stopped (Ctrl-C), it commits what was
 * checked in order, abandons the rest, and says where it stopped.
 */
import type { Finding, Position, Step, Subject } from "./types.ts";

export interface RunChecksOptions {
  steps: AsyncIterable<Step>;
  /** Checks one order; undefined when stopped before it was checked. */
  check(subject: Subject, signal: AbortSignal): Promise<Finding | undefined>;
  /** Takes a finding, in step order (undefined for a step passed over). */
  commit(step: Step, finding: Finding | undefined): void;
  /** Checks in flight at once. */
  concurrency: number;
  signal: AbortSignal;
}

export interface RunChecksResult {
  /** Every step was committed. */
  completed: boolean;
  /** Where a resumed run starts: after the last step committed (undefined: none was). */
  position: Position | undefined;
}

type Pending = { step: Step; finding: Promise<Finding | undefined> };

/** @throws what a check or the steps threw (after committing what came before it) */
export async function runChecks(options: RunChecksOptions): Promise<RunChecksResult> {
  const stop = new AbortController();
  const onStop = () => stop.abort();
  options.signal.addEventListener("abort", onStop, { once: true });
  if (options.signal.aborted) stop.abort();
  const window: Pending[] = [];
  let failure: unknown;
  let position: Position | undefined;
  let halted = false;
  const commitHead = async (): Promise<boolean> => {
    const head = window.shift() as Pending;
    const finding = await head.finding;
    if (halted || (head.step.subject !== undefined && finding === undefined)) {
      halted = true;
      return false;
    }
    options.commit(head.step, finding);
    position = head.step.after;
    return true;
  };
  try {
    for await (const step of options.steps) {
      if (stop.signal.aborted) break;
      const finding =
        step.subject === undefined
          ? Promise.resolve(undefined)
          : options.check(step.subject, stop.signal).catch((error: unknown) => {
              failure ??= error;
              stop.abort();
              return undefined;
            });
      window.push({ step, finding });
      while (window.length >= options.concurrency && !halted) await commitHead();
      if (halted) break;
    }
  } catch (error) {
    failure ??= error;
    stop.abort();
  }
  while (window.length > 0) await commitHead();
  options.signal.removeEventListener("abort", onStop);
  if (failure !== undefined) throw failure;
  return { completed: !stop.signal.aborted && !halted, position };
}
