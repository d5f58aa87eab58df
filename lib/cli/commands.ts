/** The list of `spot-meta` subcommands; each module adds its own to the program. */
import type { Command } from "commander";
import { registerDemoCommand } from "./demo-command.ts";
import { registerDevCommand } from "./dev-command.ts";
import { registerDlqCommand } from "./dlq-command.ts";
import { registerImportCommand } from "./import-command.ts";
import { registerWorkerCommand } from "./worker-command.ts";

export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerDevCommand(program);
  registerDlqCommand(program);
  registerImportCommand(program);
  registerWorkerCommand(program);
}
