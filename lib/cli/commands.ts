/** The list of `spot-meta` subcommands; each module adds its own to the program. */
import type { Command } from "commander";
import { registerImportCommand } from "./import-command.ts";

export function registerCommands(program: Command): void {
  void program;
  registerImportCommand(program);
}
