#!/usr/bin/env node
// The `spot-meta` command: every subcommand lives in lib/cli/, one module each.
import { Command } from "commander";
import { registerCommands } from "../lib/cli/commands.ts";

const program = new Command("spot-meta")
  .description("Keep order metadata in Spot in step with our systems: run, import, inspect and replay.")
  .showHelpAfterError();
await registerCommands(program, process.argv[2]);
await program.parseAsync();
