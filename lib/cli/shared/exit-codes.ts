/**
 * The one table of `spot-meta`'s exit codes: every command exits with one of these, each with one
 * meaning. docs/cli.md shows this table (test/docs/cli-docs.test.ts holds the two together).
 */

/** The exit codes by name. */
export const EXIT_CODES = {
  ok: 0,
  couldNotRun: 1,
  partial: 2,
  needsAction: 3,
  notYet: 4,
  hangUp: 129,
  secondCtrlC: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** What each code means, in the words of docs/cli.md's table. */
export const EXIT_CODE_MEANINGS: Readonly<Record<keyof typeof EXIT_CODES, string>> = {
  ok: "done: everything asked was done, and nothing found needs you (`dev` and `worker`: stopped as asked)",
  couldNotRun:
    "could not run, or failed on the way: a usage error, no queue, a refusal of AWS or Spot, a bug; one line on stderr says why",
  partial:
    "done in part: stopped by a first Ctrl-C, or some of what was selected was not done or not read (run it again, or `--resume`)",
  needsAction:
    "done, and it found something for you: rejected rows, drift at Spot, dead-lettered rows, a failed smoke part",
  notYet: "not there yet: some of an import's rows are still on the way, or cannot be told without a ledger",
  hangUp: "the terminal or the SSH session closed (SIGHUP); what the command held was given back",
  secondCtrlC: "a second Ctrl-C: exited at once; what the command held was given back",
  terminated: "SIGTERM: exited at once; what the command held was given back",
};
