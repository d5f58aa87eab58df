/**
 * The one way a `spot-meta` command runs: its action is a function of an abort signal that returns
 * an exit code (exit-codes.ts); the runner owns the rest — the interrupts (interrupts.ts), the one
 * error line (`spot-meta <command>: <why>`, exit 1), and the exit code.
 */
import { ConfigError, describeError } from "../../lambda/errors.ts";
import { describeFailure } from "./aws-failures.ts";
import { EXIT_CODES } from "./exit-codes.ts";
import { type InterruptOptions, type Interrupts, trapInterrupts } from "./interrupts.ts";

/** Where a command writes, and how it is interrupted; tests pass their own. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** Whether stderr is a terminal (progress rewrites one line then). */
  interactive: boolean;
  /**
   * Long poll of each DLQ receive; the last, empty one waits this long. Tests against the local
   * stack set 0 (fauxqs answers whole); against SQS a short poll may miss messages. @default 1
   */
  waitTimeSeconds?: number;
  /** Handles Ctrl-C and the other ways the process ends (interrupts.ts); tests may leave it out. */
  trapInterrupts?: (say: (text: string) => void, options: InterruptOptions) => Interrupts;
}

/** The process's own streams and signals. */
export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  interactive: process.stderr.isTTY === true,
  trapInterrupts,
};

/** What the first Ctrl-C says a command does when it does not say it itself. */
const STOPPING_AFTER_THIS_STEP = "after this step";

/**
 * Runs one command: sets its exit code, or 1 with one line on stderr when it throws. Its signal is
 * aborted by the first Ctrl-C: the command stops at its next step and returns its code (2 when it
 * did not do everything asked; `dev` and `worker`, which run until stopped, 0).
 * @param name the command as typed after `spot-meta` (`dlq peek`), for the error line
 */
export async function runCommand(
  io: CommandIo,
  name: string,
  command: (signal: AbortSignal) => Promise<number>,
  options: Partial<InterruptOptions> = {},
): Promise<void> {
  const interrupts = io.trapInterrupts?.(io.err, {
    stopping: options.stopping ?? STOPPING_AFTER_THIS_STEP,
    untilStopped: options.untilStopped,
  });
  const signal = interrupts?.signal ?? new AbortController().signal;
  try {
    io.setExitCode(await command(signal));
  } catch (error) {
    io.err(`spot-meta ${name}: ${failureLine(error)}\n${bugTrace(error)}`);
    io.setExitCode(EXIT_CODES.couldNotRun);
  } finally {
    interrupts?.dispose();
  }
}

/**
 * The project's refusals and AWS's in their own words, on one line (the settings' problems joined
 * with `;`); anything else (a bug) by its name and message.
 */
function failureLine(error: unknown): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join("; ")}`;
  return describeFailure(error) ?? describeError(error);
}

/** The errors only a bug throws: the one line, then where, for whoever reports it. */
const BUGS = [TypeError, ReferenceError, RangeError, SyntaxError];

function bugTrace(error: unknown): string {
  const isBug = BUGS.some((kind) => error instanceof kind);
  const where = isBug ? (error as Error).stack?.split("\n").slice(1).join("\n") : undefined;
  return where ? `a bug in spot-meta; please report it with these lines:\n${where}\n` : "";
}
