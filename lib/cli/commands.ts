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
 * A usage error prints its one line and where to read more (`(see spot-meta dlq peek --help)`), not
 * the whole help: commander's `showHelpAfterError` with a hint, set on every command, since each
 * names its own help. Call it once every command is registered.
 */
export function hintHelpOnUsageErrors(command: Command, path = command.name()): void {
  command.showHelpAfterError(`(see ${path} --help)`);
  for (const sub of command.commands) hintHelpOnUsageErrors(sub, `${path} ${sub.name()}`);
}
