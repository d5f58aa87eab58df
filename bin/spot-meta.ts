#!/usr/bin/env node
// The `spot-meta` command: the subcommands live in lib/cli/, a folder a command family (commands.ts).
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { oneLineUsageErrors, registerCommands } from "../lib/cli/commands.ts";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const program = new Command("spot-meta")
  .description("Keep order metadata in Spot in step with our systems: run, import, inspect and replay.")
  .version(version, "-V, --version", "print the version of spot-meta");
await registerCommands(program, process.argv[2]);
oneLineUsageErrors(program);
await program.parseAsync();
