/**
 * When a long-running command (`spot-meta dev`, `spot-meta worker`) should stop: Ctrl-C, SIGTERM,
 * or its parent gone. The last because `npx spot-meta …` and `npm start` run it as a child of npm,
 * which does not always pass a SIGTERM on: without the check, a supervisor's stop left the child
 * running, holding its ports and `.spot-meta/dev.json`.
 */
import { CTRL_C_EXIT_CODE, onCtrlC } from "./ctrl-c.ts";

/** How often the parent is looked for. */
const PARENT_CHECK_MS = 1_000;
/**
 * The parent the process started with, read when the command's modules load, not when it begins to
 * wait: a parent gone while the command was starting (its stack, its servers) would otherwise be
 * read as the new parent, and never be missed.
 */
const PARENT = process.ppid;

export type StopCause = "SIGINT" | "SIGTERM" | "parent gone";

/**
 * Resolves with the first cause to stop. A Ctrl-C once stopping has begun (a second one; npm's
 * copy of the first does not count) exits at once, 130.
 */
export function untilStopped(): Promise<StopCause> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (cause: StopCause) => {
      if (stopping) return;
      stopping = true;
      process.off("SIGTERM", onSigterm);
      clearInterval(watch);
      resolve(cause);
    };
    // Left in place: the process ends with the command, and a Ctrl-C must never find no handler.
    onCtrlC(() => (stopping ? process.exit(CTRL_C_EXIT_CODE) : stop("SIGINT")));
    const onSigterm = () => stop("SIGTERM");
    process.on("SIGTERM", onSigterm);
    // Orphaned, the process is handed to another parent (init, or a subreaper).
    const watch = setInterval(() => process.ppid !== PARENT && stop("parent gone"), PARENT_CHECK_MS);
    watch.unref();
    if (process.ppid !== PARENT) stop("parent gone");
  });
}
