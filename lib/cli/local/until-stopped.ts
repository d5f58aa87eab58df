/**
 * When a long-running command (`spot-meta dev`, `spot-meta worker`) should stop: Ctrl-C, SIGTERM,
 * or its parent gone. The last because `npx spot-meta …` and `npm start` run it as a child of npm,
 * which does not always pass a SIGTERM on: without the check, a supervisor's stop left the child
 * running, holding its ports and `.spot-meta/dev.json`.
 */
import { CTRL_C_EXIT_CODE, onCtrlC } from "../shared/ctrl-c.ts";

/** How often the parent is looked for. */
const PARENT_CHECK_MS = 1_000;

export type StopCause = "SIGINT" | "SIGTERM" | "parent gone";

/**
 * Resolves with the first cause to stop. A Ctrl-C once stopping has begun (a second one; npm's
 * copy of the first does not count) exits at once, 130.
 */
export function untilStopped(): Promise<StopCause> {
  const parent = process.ppid;
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
    const watch = setInterval(() => process.ppid !== parent && stop("parent gone"), PARENT_CHECK_MS);
    watch.unref();
  });
}
