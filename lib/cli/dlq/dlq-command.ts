/**
 * `spot-meta dlq …`: the commands and their options, each run by the CLI's runner
 * (shared/runner.ts: exit code, error line, Ctrl-C). The actions are in dlq-read-commands.ts,
 * dlq-purge-command.ts and dlq-replay-command.ts.
 */

import type { Command } from "commander";
import { MAX_VELOCITY } from "../../tools/dlq/redrive.ts";
import { DEFAULT_REPLAY_RATE } from "../../tools/dlq/replay.ts";
import { integerBetween, nonEmpty, positiveInteger } from "../shared/arguments.ts";
import { processIo, runCommand } from "../shared/runner.ts";
import type { CommonFlags, DlqIo } from "./dlq-io.ts";
import { withFilters, withLedger, withRead, withTarget } from "./dlq-options.ts";
import { type PurgeFlags, purge } from "./dlq-purge-command.ts";
import { type ExportFlags, exportCommand, type PeekFlags, peek, stats } from "./dlq-read-commands.ts";
import { type RedriveFlags, type ReplayFlags, redrive, replay } from "./dlq-replay-command.ts";

export type { DlqIo } from "./dlq-io.ts";

/** What the first Ctrl-C does to a command that holds messages. */
const HOLDS = { stopping: "after this step; what is not done stays in the DLQ" };

/** `run` for one `spot-meta dlq` command. */
function run(io: DlqIo, name: string, command: (signal: AbortSignal) => Promise<number>, options = HOLDS) {
  return runCommand(io, `dlq ${name}`, command, options);
}

export function registerDlqCommand(program: Command, io: DlqIo = processIo): void {
  const dlq = program
    .command("dlq")
    .description(
      "Inspect the dead-letter queue and put messages back: stats, peek, replay, redrive, export, purge.",
    )
    // `spot-meta dlq` alone asks what there is: the help, on stdout, exit 0. A word that names no
    // subcommand is still a usage error.
    .allowExcessArguments()
    .action((_flags: object, command: Command) => {
      const [word] = command.args;
      if (word !== undefined)
        command.error(`error: unknown command '${word}'`, { code: "commander.unknownCommand" });
      command.help();
    });
  registerLooks(dlq, io);
  registerChanges(dlq, io);
}

/** The commands that leave every message where it is: stats, peek, export. */
function registerLooks(dlq: Command, io: DlqIo): void {
  withRead(withTarget(dlq.command("stats")))
    .description(
      "How many messages, grouped by reason class, HTTP status and Spot error type, oldest and newest failure.",
    )
    .action((flags: CommonFlags) => run(io, "stats", (signal) => stats(io, flags, signal)));

  withLedger(withFilters(withRead(withTarget(dlq.command("peek")))), "to show the version it holds")
    .description(
      "The messages themselves: publicId, reason, status, error type, details, attempts, issuedAt, times, source; and how many match in all.",
    )
    .option("--limit <n>", "show at most this many (all are read and counted)", positiveInteger, 20)
    .option("--show-metadata", "show metadata values (they can hold health information)")
    .action((flags: PeekFlags) => run(io, "peek", (signal) => peek(io, flags, signal)));

  withFilters(withRead(withTarget(dlq.command("export"))))
    .description(
      "Write the selected messages and their failures to a JSON Lines file (readable by you only); removes nothing.",
    )
    .requiredOption("--out <file>", "the JSON Lines file to write (replaced once complete)", nonEmpty)
    .action((flags: ExportFlags) => run(io, "export", (signal) => exportCommand(io, flags, signal)));
}

/** The commands that move or remove messages: replay, redrive, purge. */
function registerChanges(dlq: Command, io: DlqIo): void {
  withLedger(withFilters(withRead(withTarget(dlq.command("replay")))), "to skip superseded messages")
    .description(
      "Send the selected messages back to the source queue (body unchanged, failure attributes cleared, replay-count + 1), then delete them from the DLQ.",
    )
    .option("--dry-run", "say what would be replayed and skipped, move nothing")
    .option("--rate <n>", "messages per second", positiveInteger, DEFAULT_REPLAY_RATE)
    .option("--limit <n>", "replay at most this many", positiveInteger)
    .option(
      "--include-superseded",
      "also replay messages a newer applied update (or a newer DLQ message) supersedes",
    )
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    .action((flags: ReplayFlags) => run(io, "replay", (signal) => replay(io, flags, signal)));

  withTarget(dlq.command("redrive"))
    .description(
      "Bulk: SQS's own message move task, DLQ → source queue, everything, unfiltered (no superseded or invalid checks: `replay` is the careful path).",
    )
    .option(
      "--velocity <n>",
      `messages per second (SQS's MaxNumberOfMessagesPerSecond, 1-${MAX_VELOCITY})`,
      integerBetween(1, MAX_VELOCITY),
    )
    .option("--status", "show the DLQ's move tasks and their progress, start nothing")
    .option("--cancel", "cancel the running move task")
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    // Holds nothing: SQS moves the messages; Ctrl-C ends the client only.
    .action((flags: RedriveFlags) =>
      run(io, "redrive", () => redrive(io, flags), {
        stopping: "once SQS has answered (a move task it started goes on: --cancel stops it)",
      }),
    );

  withLedger(withFilters(withRead(withTarget(dlq.command("purge")))), "for --superseded")
    .description("Remove the selected messages for good. Without --yes, only says what it would remove.")
    .option(
      "--superseded",
      "only the messages whose order the ledger holds a newer applied version of (with the other filters)",
    )
    .option("--yes", "remove them")
    .option("--all", "with no filter: yes, every message")
    .option("--export <file>", "write them to this JSON Lines file first (readable by you only)", nonEmpty)
    .option("--force", "run even if the queue does not look like this stack's DLQ")
    .action((flags: PurgeFlags) => run(io, "purge", (signal) => purge(io, flags, signal)));
}
