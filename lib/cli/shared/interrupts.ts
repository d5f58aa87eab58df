/**
 * The ways a `spot-meta dlq` process can be stopped, none of which may leave messages hidden:
 * - the first Ctrl-C aborts the command's signal: it stops at its next step (between receives,
 *   between batches) and its own `finally` gives back what it holds (npm's copy of the same
 *   Ctrl-C, under `npx`, is not a second one: ctrl-c.ts);
 * - a second Ctrl-C, SIGTERM, or SIGHUP (the terminal or the SSH session closed) gives back every
 *   hold of the process now, then exits;
 * - an exception nothing caught (a bug in a timer or a callback, outside the command's `finally`)
 *   does the same, with exit code 1.
 * SIGKILL cannot be caught: the short hold (`--hold`) bounds what it leaves hidden.
 */
import { HeldMessages } from "../../tools/dlq/held-messages.ts";
import { CTRL_C_EXIT_CODE, onCtrlC } from "./ctrl-c.ts";

/** How long giving back may take on the way out; past it, the holds lapse by themselves. */
const RELEASE_TIMEOUT_MS = 5_000;

/** The shell's convention: 128 + the signal's number. */
const EXIT_CODES = { SIGHUP: 129, SIGINT: CTRL_C_EXIT_CODE, SIGTERM: 143 } as const;

export interface Interrupts {
  /** Aborted by the first Ctrl-C. */
  signal: AbortSignal;
  /** Removes the handlers (the command is over). */
  dispose(): void;
}

/** Installs the handlers for the time of one command. */
export function trapInterrupts(say: (text: string) => void): Interrupts {
  const controller = new AbortController();
  const exitNow = (why: string, code: number) => {
    say(`\n${why}: making the messages this run holds visible again, then exiting\n`);
    void giveBackEverything().finally(() => process.exit(code));
  };
  const onSigint = (press: number) => {
    if (press > 1) return exitNow("second Ctrl-C", EXIT_CODES.SIGINT);
    say("\nstopping after this step; what is not done stays in the DLQ (Ctrl-C again to exit now)\n");
    controller.abort();
  };
  const onSigterm = () => exitNow("SIGTERM", EXIT_CODES.SIGTERM);
  const onSighup = () => exitNow("SIGHUP", EXIT_CODES.SIGHUP);
  const onCrash = (error: unknown) => {
    say(
      `\nspot-meta dlq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    exitNow("crashed", 1);
  };
  const offCtrlC = onCtrlC(onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("SIGHUP", onSighup);
  process.on("uncaughtException", onCrash);
  return {
    signal: controller.signal,
    dispose: () => {
      offCtrlC();
      process.off("SIGTERM", onSigterm);
      process.off("SIGHUP", onSighup);
      process.off("uncaughtException", onCrash);
    },
  };
}

async function giveBackEverything(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
  });
  await Promise.race([HeldMessages.releaseAll(), timeout]);
  clearTimeout(timer);
}
