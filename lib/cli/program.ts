/**
 * The `spot-meta` program as `bin/spot-meta.ts` runs it: only the subcommand named on the command
 * line is loaded (commands.ts; none for the version), and every usage error is one line. Built
 * here, apart from the bin, so that tests can parse a command line with the program a user runs.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { oneLineUsageErrors, registerCommands } from "./commands.ts";

const VERSION_FLAGS = "-V, --version";

/** @param commandName the first argument on the command line: the subcommand, if it names one */
export async function spotMetaProgram(commandName: string | undefined): Promise<Command> {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  const program = new Command("spot-meta")
    .description("Keep order metadata in Spot in step with our systems: run, import, inspect and replay.")
    .version(version, VERSION_FLAGS, "print the version of spot-meta");
  // The version needs no command: loading one costs ~0.5 s of CPU.
  if (!VERSION_FLAGS.split(", ").includes(commandName ?? "")) await registerCommands(program, commandName);
  oneLineUsageErrors(program);
  return program;
}
