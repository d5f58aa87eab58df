/**
 * Where a running `spot-meta dev` listens, written to a small file so that the other commands (and
 * the AWS CLI, with `--endpoint-url`) can be pointed at the local stack without flags.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as z from "zod";
import { urlString } from "../lambda/config.ts";

/** Relative to the working directory; git-ignored. */
export const DEV_STATE_FILE = ".spot-meta/dev.json";

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

export function writeDevState(state: DevState, file = DEV_STATE_FILE): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state of a `spot-meta dev` that is still running, or undefined. */
export function readDevState(file = DEV_STATE_FILE): DevState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const parsed = devStateSchema.safeParse(JSON.parse(text));
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
