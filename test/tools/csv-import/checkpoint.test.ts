import { afterEach, describe, expect, it } from "vitest";
import {
  type Checkpoint,
  readCheckpoint,
  Watermark,
  writeCheckpoint,
} from "../../../lib/tools/csv-import/checkpoint.ts";
import { CheckpointError } from "../../../lib/tools/csv-import/errors.ts";
import { type TempDir, tempDir } from "./support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

describe("Watermark", () => {
  it("advances only over rows done without a gap, and remembers the rows done above it", () => {
    // Prepare
    const watermark = new Watermark();

    // Act
    for (const row of [0, 2, 3, 5]) watermark.markDone(row);

    // Assess
    expect([watermark.nextRow, watermark.doneAbove]).toStrictEqual([1, [2, 3, 5]]);
    watermark.markDone(1);
    expect([watermark.nextRow, watermark.doneAbove]).toStrictEqual([4, [5]]);
    expect([3, 4, 5].map((row) => watermark.isDone(row))).toStrictEqual([true, false, true]);
  });
});

describe("checkpoint file", () => {
  it("round-trips, and refuses a file that is not a checkpoint", () => {
    // Prepare
    dir = tempDir();
    const checkpoint: Checkpoint = {
      version: 2,
      importId: "imp-20261127T101500Z-a1b2",
      file: { name: "orders.csv", bytes: 10, sha256: "ab".repeat(32) },
      queueUrl: "http://127.0.0.1:1/q",
      startedAt: "2026-11-27T10:15:00.000Z",
      nextRow: 40,
      doneAbove: [42],
      counts: { queued: 38, rejected: 2, superseded: 1 },
      rejectsBytes: 64,
    };
    const path = `${dir.path}/c.json`;

    // Act
    writeCheckpoint(path, checkpoint);

    // Assess
    expect(readCheckpoint(path)).toStrictEqual(checkpoint);
    expect(readCheckpoint(`${dir.path}/none.json`)).toBeUndefined();
    expect(() => readCheckpoint(dir?.write("bad.json", '{"version":1}') ?? "")).toThrow(CheckpointError);
  });
});
