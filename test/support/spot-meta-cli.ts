/**
 * `spot-meta` as a child process, as a user runs it: with no AWS configuration and no `SPOT_META_*`
 * variables but the ones given, in a working directory of the test's.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import { COMPILE_CACHE } from "./compile-cache.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `spot-meta <args>` in `cwd`; `done` resolves when it exits, with what it printed. */
export function spotMeta(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): { child: ChildProcessWithoutNullStreams; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...COMPILE_CACHE, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<CliRun>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** The flags naming the local stack's queues and ledger. */
export function stackFlags(stack: LocalStack): string[] {
  const flags = ["--queue-url", stack.queues.queueUrl, "--endpoint-url", stack.queues.endpoint];
  const ledger = stack.dynamoDb;
  if (ledger !== undefined)
    flags.push("--ledger-table", ledger.table, "--ledger-endpoint-url", ledger.endpoint);
  return flags;
}
