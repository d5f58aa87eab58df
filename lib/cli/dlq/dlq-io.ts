/**
 * What the `spot-meta dlq` commands share: where they write, their flags, their exit codes, and the
 * "about to …" line each prints before it touches a queue.
 */
import type { ReadTotals } from "../../tools/dlq/dlq-reader.ts";
import { Truncation } from "../../tools/dlq/dlq-reader.ts";
import { type DlqTarget, type DlqTargetFlags, resolveDlqTarget } from "../shared/dlq-target.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import type { CommandIo } from "../shared/runner.ts";
import type { FilterFlags } from "./dlq-options.ts";

/** The DLQ commands' exit codes: the CLI's one table (shared/exit-codes.ts). */
export const DLQ_EXIT_CODES = {
  ok: EXIT_CODES.ok,
  failed: EXIT_CODES.couldNotRun,
  partial: EXIT_CODES.partial,
} as const;

/** Where the commands write; tests pass their own. */
export type DlqIo = CommandIo;

export interface CommonFlags extends DlqTargetFlags, FilterFlags {
  json?: boolean;
  max: number;
  hold: number;
  force?: boolean;
}

/** What every reading command passes to the library from the flags and the run. */
export function readSettings(io: DlqIo, flags: CommonFlags, signal: AbortSignal) {
  return { max: flags.max, holdSeconds: flags.hold, waitTimeSeconds: io.waitTimeSeconds, signal };
}

/** Resolves the queues and says what is about to happen to which queue. */
export async function open(
  io: DlqIo,
  flags: DlqTargetFlags,
  what: string,
  options: { needsSource: boolean },
): Promise<DlqTarget> {
  const target = await resolveDlqTarget(flags, options);
  announce(io, target, what);
  return target;
}

/** Says what is about to happen to which queue, once everything the command needs is found. */
export function announce(io: DlqIo, target: DlqTarget, what: string): void {
  const source = target.sourceQueueUrl === undefined ? "" : ` (source queue ${target.sourceQueueUrl})`;
  const origins =
    target.dlqOrigin === undefined
      ? `queues from ${target.origin}`
      : `DLQ from ${target.dlqOrigin}, source queue from ${target.origin}`;
  io.err(`about to ${what}: DLQ ${target.dlqUrl}${source}; ${origins}\n`);
}

/**
 * 2 (done in part) when a command that acts or records could not read the whole DLQ: what it did
 * may not cover every message its filter selects. A stop at `--limit` was asked for.
 */
export function readExitCode(totals: ReadTotals): number {
  return totals.truncated && totals.truncation !== Truncation.limit
    ? DLQ_EXIT_CODES.partial
    : DLQ_EXIT_CODES.ok;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
