#!/usr/bin/env node
// The `spot-meta` command: the subcommands live in lib/cli/, a folder a command family (commands.ts).
import { readFileSync } from "node:fs";
import { enableCompileCache } from "node:module";

// Starting compiles a few hundred modules (the AWS SDK, zod, commander): Node's compile cache (in the
// system's temporary directory; NODE_COMPILE_CACHE names another) halves that from the second run
// on. Enabled before the CLI's modules load, hence the dynamic imports.
enableCompileCache();
const { Command } = await import("commander");
const { oneLineUsageErrors, registerCommands } = await import("../lib/cli/commands.ts");

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const program = new Command("spot-meta")
  .description("Keep order metadata in Spot in step with our systems: run, import, inspect and replay.")
  .version(version, "-V, --version", "print the version of spot-meta");
await registerCommands(program, process.argv[2]);
oneLineUsageErrors(program);
await program.parseAsync();
