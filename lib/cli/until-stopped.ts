/**
 * When a long-running command (`spot-meta dev`, `spot-meta worker`) should stop: Ctrl-C, SIGTERM,
 * or its parent gone. The last because `npx spot-meta …` and `npm start` run it as a child of npm,
 * which does not pass a SIGTERM on: without the check, a supervisor's stop left the child running,
 * holding its ports and `.spot-meta/dev.json`.
 */

/** How often the parent is looked for. */
const PARENT_CHECK_MS = 1_000;

export type StopCause = "SIGINT" | "SIGTERM" | "parent gone";

/** Resolves with the first cause to stop; a second Ctrl-C after it is the caller's to handle. */
export function untilStopped(): Promise<StopCause> {
  const parent = process.ppid;
  return new Promise((resolve) => {
    const stop = (cause: StopCause) => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      clearInterval(watch);
      resolve(cause);
    };
    const onSigint = () => stop("SIGINT");
    const onSigterm = () => stop("SIGTERM");
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    // Orphaned, the process is handed to another parent (init, or a subreaper).
    const watch = setInterval(() => process.ppid !== parent && stop("parent gone"), PARENT_CHECK_MS);
    watch.unref();
  });
}
