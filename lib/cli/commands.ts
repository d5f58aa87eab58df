/**
 * The `spot-meta` subcommands. Only the module of the command being run is loaded: the others carry
 * the AWS SDK's clients, the local servers and the handler, which would slow every start and weigh
 * on every process (an import's memory is measured against a target). Help and unknown commands
 * load them all.
 */
import type { Command } from "commander";

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  demo: async () => (await import("./local/demo-command.ts")).registerDemoCommand,
  dev: async () => (await import("./local/dev-command.ts")).registerDevCommand,
  dlq: async () => (await import("./dlq/dlq-command.ts")).registerDlqCommand,
  import: async () => (await import("./import/import-command.ts")).registerImportCommand,
  "import-status": async () =>
    (await import("./import/import-status-command.ts")).registerImportStatusCommand,
  smoke: async () => (await import("./smoke/smoke-command.ts")).registerSmokeCommand,
  verify: async () => (await import("./verify/verify-command.ts")).registerVerifyCommand,
  worker: async () => (await import("./local/worker-command.ts")).registerWorkerCommand,
};

/** @param name the subcommand on the command line, if any */
export async function registerCommands(program: Command, name: string | undefined): Promise<void> {
  const only = name === undefined ? undefined : COMMANDS[name];
  const loaders = only === undefined ? Object.values(COMMANDS) : [only];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
}

/**
 * A usage error is one line, as every other refusal of a command (shared/runner.ts): the command,
 * what is wrong, and where to read more — `spot-meta dlq peek: unknown option '--limt' (Did you
 * mean --limit?) (see spot-meta dlq peek --help)` — with exit code 1, not the whole help. Set on
 * every command, since each names its own help: call it once every command is registered.
 */
export function oneLineUsageErrors(command: Command, path = command.name()): void {
  command.configureOutput({
    outputError: (text, write) => write(`${path}: ${usageLine(text)} (see ${path} --help)\n`),
  });
  for (const sub of command.commands) oneLineUsageErrors(sub, `${path} ${sub.name()}`);
}

/** Commander's message (`error: …`, a suggestion on a line of its own) as one line. */
export function usageLine(text: string): string {
  return text
    .replace(/^error: /, "")
    .trim()
    .split("\n")
    .map((line) => line.trim())
    .join(" ");
}
