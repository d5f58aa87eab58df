/**
 * Where a verify run got to, beside its report (`<report>.checkpoint.json`): the position reached,
 * the counts so far and the report's size then. Written every second and when the run stops; removed
 * when it completes. `--resume` continues from it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as z from "zod";
import { VerifyError } from "./errors.ts";
import type { Position, VerifyCounts } from "./types.ts";

const countsSchema = z.strictObject({
  checked: z.number(),
  matching: z.number(),
  drift: z.number(),
  missingAtSpot: z.number(),
  unreadable: z.number(),
  overtaken: z.number(),
  unknown: z.number(),
  passedOver: z.number(),
  requeued: z.number(),
  overtakenMeanwhile: z.number(),
  notQueued: z.number(),
});

const checkpointSchema = z.strictObject({
  /** `file:<absolute path>`, `ledger` or `ids:<absolute path>`: what the run compares with. */
  against: z.string(),
  position: z.union([z.number(), z.record(z.string(), z.unknown()), z.null()]),
  counts: countsSchema,
  reportBytes: z.number().int().nonnegative(),
});
export type VerifyCheckpoint = z.infer<typeof checkpointSchema> & {
  position: Position;
  counts: VerifyCounts;
};

export function checkpointPathOf(reportPath: string): string {
  return `${reportPath}.checkpoint.json`;
}

export function writeCheckpoint(reportPath: string, checkpoint: VerifyCheckpoint): void {
  const path = checkpointPathOf(reportPath);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * The checkpoint of an interrupted run of the same comparison.
 * @throws VerifyError when there is none, or it is of another comparison
 */
export function readCheckpoint(reportPath: string, against: string): VerifyCheckpoint {
  const path = checkpointPathOf(reportPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new VerifyError(`nothing to resume: no checkpoint ${path}`);
  }
  const checked = checkpointSchema.safeParse(parsed);
  if (!checked.success) throw new VerifyError(`${path} is not a verify checkpoint`);
  if (checked.data.against !== against)
    throw new VerifyError(`${path} is of another run (${checked.data.against}), not of ${against}`);
  return checked.data as VerifyCheckpoint;
}

export function removeCheckpoint(reportPath: string): void {
  rmSync(checkpointPathOf(reportPath), { force: true });
}
