/**
 * Where a running `spot-meta dev` listens, written to a small file so that the other commands (and
 * the AWS CLI, with `--endpoint-url`) can be pointed at the local stack without flags.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import * as z from "zod";
import { urlString } from "../lambda/config.ts";

/**
 * Written under the checkout's root, or `spot-meta dev`'s working directory
 * ({@link devStateFileFor}); git-ignored.
 */
export const DEV_STATE_FILE = ".spot-meta/dev.json";

/** The checkout this code runs from. */
const CHECKOUT = resolve(import.meta.dirname, "..", "..");

/**
 * Where `spot-meta dev` writes its state: under the checkout's root when it runs anywhere inside the
 * checkout (started from `examples/`, it is still found by a command run from the root), else under
 * its working directory (a copy elsewhere, a test's own directory).
 */
export function devStateFileFor(cwd = process.cwd()): string {
  const inside = cwd === CHECKOUT || cwd.startsWith(CHECKOUT + sep);
  return join(inside ? CHECKOUT : cwd, DEV_STATE_FILE);
}

const devStateSchema = z.object({
  pid: z.number().int(),
  sqsEndpoint: urlString,
  region: z.string(),
  queueUrl: urlString,
  dlqUrl: urlString,
  sandboxUrl: urlString,
  /** The sandbox's made-up token: local only, never a real one. */
  sandboxToken: z.string(),
  ledgerEndpoint: urlString.optional(),
  ledgerTable: z.string().optional(),
});
export type DevState = z.infer<typeof devStateSchema>;

/**
 * Written whole or not at all (a file beside it, then renamed over it): a command started while
 * dev writes it would otherwise read it half-written, and go on as if no dev stack ran.
 */
export function writeDevState(state: DevState, file = DEV_STATE_FILE): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
}

/**
 * The state of a `spot-meta dev` that is still running, or undefined: the file named, else the
 * nearest {@link DEV_STATE_FILE} in the working directory or above it whose dev stack still runs,
 * so that a command run from a directory of the checkout (`examples/`) finds the stack started at
 * its root.
 */
export function readDevState(file?: string): DevState | undefined {
  if (file !== undefined) return readRunning(file);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const state = readRunning(join(dir, DEV_STATE_FILE));
    if (state !== undefined || dirname(dir) === dir) return state;
  }
}

function readRunning(file: string): DevState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = devStateSchema.safeParse(value);
  if (!parsed.success || !isRunning(parsed.data.pid)) return undefined;
  return parsed.data;
}

export function removeDevState(file = DEV_STATE_FILE): void {
  rmSync(file, { force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
