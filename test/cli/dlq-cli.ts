/** `spot-meta dlq …` as a child process, as on call: its output, its exit, and signals sent to it. */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { COMPILE_CACHE } from "../support/compile-cache.ts";

const REPO = join(import.meta.dirname, "..", "..");
const BIN = join(REPO, "bin", "spot-meta.ts");

export interface DlqChild {
  process: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Ctrl-C as a terminal sends it: SIGINT to every process of the foreground group (with
   * `throughNpx`, npm and the command it runs; else the command alone).
   */
  pressCtrlC(): void;
}

/**
 * Starts `spot-meta dlq <args>` on this Node, with no AWS configuration but the flags.
 * @param nodeArgs options for Node itself, e.g. `--import` of a module that plays a bug
 * @param options.throughNpx as an operator runs it: `npx spot-meta …` from the repository, as the
 *   leader of its own process group, the way a shell runs a foreground job
 */
export function startDlqChild(
  args: string[],
  nodeArgs: string[] = [],
  options: { throughNpx?: boolean } = {},
): DlqChild {
  const child = options.throughNpx
    ? spawn("npx", ["spot-meta", "dlq", ...args], {
        cwd: REPO,
        env: { PATH: process.env.PATH, ...COMPILE_CACHE },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      })
    : spawn(process.execPath, [...nodeArgs, BIN, "dlq", ...args], {
        env: { PATH: process.env.PATH, ...COMPILE_CACHE },
        stdio: ["ignore", "pipe", "pipe"],
      });
  let text = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    output: () => text,
    pressCtrlC: () => {
      if (options.throughNpx) process.kill(-(child.pid ?? 0), "SIGINT");
      else child.kill("SIGINT");
    },
    exited,
    // A hang detector: it resolves as soon as the pattern shows (a starved machine is slow to start).
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`exited before ${pattern}:\n${text}`));
          }
        });
        check();
      }),
  };
}
