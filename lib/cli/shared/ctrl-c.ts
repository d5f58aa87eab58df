/**
 * Ctrl-C, counted once per key press. A terminal sends SIGINT to every process of its foreground
 * group; run through `npx` or an npm script, npm is one of them and passes its own SIGINT on to the
 * process it runs (@npmcli/run-script's signal manager). When nothing stands between them (npm runs
 * the command through `script-shell`, bash, which replaces itself with the command), the command
 * gets two SIGINTs a few milliseconds apart for one key press, and would take the copy for a
 * second Ctrl-C ("exit now"). A SIGINT within {@link SAME_PRESS_MS} of the last one counted is that
 * copy; a person who means a second Ctrl-C presses again.
 */

/** Longer than npm takes to pass a SIGINT on, even on a loaded machine; shorter than a second thought. */
export const SAME_PRESS_MS = 1_000;

/** The shell's convention for a process ended by Ctrl-C: 128 + SIGINT's number. */
export const CTRL_C_EXIT_CODE = 130;

/**
 * Calls `handler` with 1 for the first Ctrl-C, 2 for the next, and so on, until the returned
 * function removes it.
 */
export function onCtrlC(handler: (press: number) => void): () => void {
  let presses = 0;
  let countedAt = Number.NEGATIVE_INFINITY;
  const listener = () => {
    const now = performance.now();
    if (now - countedAt < SAME_PRESS_MS) return;
    countedAt = now;
    presses += 1;
    handler(presses);
  };
  process.on("SIGINT", listener);
  return () => {
    process.off("SIGINT", listener);
  };
}
