/**
 * The ways a `spot-meta` process can be stopped, one policy for every command, none of which may
 * leave messages hidden:
 * - the first Ctrl-C aborts the command's signal: it stops at its next step (between receives,
 *   between batches, between reads) and its own `finally` gives back what it holds, then it exits
 *   with its code, 2 when it stopped before the end (npm's copy of the same Ctrl-C, under `npx`, is
 *   not a second one: ctrl-c.ts);
 * - a second Ctrl-C, SIGTERM, or SIGHUP (the terminal or the SSH session closed) gives back every
 *   hold of the process now, then exits (130, 143, 129);
 * - an exception nothing caught (a bug in a timer or a callback, outside the command's `finally`)
 *   does the same, with exit code 1.
 * A command that runs until stopped (`dev`, `worker`) takes SIGTERM, SIGHUP and the loss of its
 * parent as it takes a first Ctrl-C: the way it is meant to end, cleanly.
 * SIGKILL cannot be caught: the short hold (`--hold`) bounds what it leaves hidden.
 */
import { releaseEveryHold } from "../../tools/dlq/open-holds.ts";
import { onCtrlC } from "./ctrl-c.ts";
import { EXIT_CODES } from "./exit-codes.ts";

/** How long giving back may take on the way out; past it, the holds lapse by themselves. */
const RELEASE_TIMEOUT_MS = 5_000;
/** How often a command that runs until stopped looks for its parent. */
const PARENT_CHECK_MS = 1_000;
/**
 * The parent the process started with, read when the CLI's modules load, not when the command
 * begins: a parent gone while the process was starting would otherwise be read as the new parent
 * (the orphan's), and never be missed.
 */
const PARENT = process.ppid;

/** Why a command was asked to stop: the signal's `reason`. */
export type StopCause = "SIGINT" | "SIGTERM" | "SIGHUP" | "parent gone";

export interface InterruptOptions {
  /** What the first Ctrl-C line says the command does now (after "stopping: "). */
  stopping: string;
  /**
   * A command that runs until stopped: SIGTERM, SIGHUP and its parent gone (`npx` and `npm start`
   * do not always pass a SIGTERM on) stop it as a first Ctrl-C does.
   */
  untilStopped?: boolean;
}

export interface Interrupts {
  /** Aborted by the first Ctrl-C, with a {@link StopCause} as its reason. */
  signal: AbortSignal;
  /** Removes the handlers (the command is over). */
  dispose(): void;
}

/** Installs the handlers for the time of one command. */
export function trapInterrupts(say: (text: string) => void, options: InterruptOptions): Interrupts {
  const controller = new AbortController();
  const exitNow = (why: string, code: number) => {
    say(`\n${why}: making the messages this run holds visible again, then exiting\n`);
    void giveBackEverything().finally(() => process.exit(code));
  };
  const stop = (cause: StopCause) => {
    if (controller.signal.aborted) return;
    // Aborted first: a progress bar stops on it, and is not drawn again over the line.
    controller.abort(cause);
    say(`\nstopping: ${options.stopping} (Ctrl-C again to exit now)\n`);
  };
  const onSigint = (press: number) =>
    press > 1 ? exitNow("second Ctrl-C", EXIT_CODES.secondCtrlC) : stop("SIGINT");
  const onSigterm = () =>
    options.untilStopped ? stop("SIGTERM") : exitNow("SIGTERM", EXIT_CODES.terminated);
  const onSighup = () => (options.untilStopped ? stop("SIGHUP") : exitNow("SIGHUP", EXIT_CODES.hangUp));
  const onCrash = (error: unknown) => {
    say(
      `\nspot-meta: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    exitNow("crashed", EXIT_CODES.couldNotRun);
  };
  const offCtrlC = onCtrlC(onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("SIGHUP", onSighup);
  process.on("uncaughtException", onCrash);
  // Orphaned, the process is handed to another parent (init, or a subreaper).
  const watch = options.untilStopped
    ? setInterval(() => process.ppid !== PARENT && stop("parent gone"), PARENT_CHECK_MS)
    : undefined;
  watch?.unref();
  if (options.untilStopped && process.ppid !== PARENT) stop("parent gone");
  return {
    signal: controller.signal,
    dispose: () => {
      clearInterval(watch);
      process.off("SIGTERM", onSigterm);
      process.off("SIGHUP", onSighup);
      process.off("uncaughtException", onCrash);
      // Left a moment longer: npm's copy of the last Ctrl-C may still arrive, and must find a handler.
      setTimeout(offCtrlC, 1_000).unref();
    },
  };
}

/** Resolves once the signal is aborted, with its {@link StopCause}. */
export function untilAborted(signal: AbortSignal): Promise<StopCause> {
  if (signal.aborted) return Promise.resolve(signal.reason as StopCause);
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(signal.reason as StopCause), { once: true }),
  );
}

async function giveBackEverything(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
  });
  await Promise.race([releaseEveryHold(), timeout]);
  clearTimeout(timer);
}
