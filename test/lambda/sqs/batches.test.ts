import { describe, expect, it } from "vitest";
import { chunkForBatch, MAX_BATCH_BYTES, messageBytes } from "../../../lib/lambda/sqs/batches.ts";

describe("batching for SQS", () => {
  it("puts at most ten entries in a call", () => {
    const chunks = chunkForBatch(
      Array.from({ length: 25 }, (_, i) => i),
      () => 1,
    );
    expect(chunks.map((c) => c.length)).toStrictEqual([10, 10, 5]);
  });

  it("starts a new call before the byte limit is passed", () => {
    const size = Math.floor(MAX_BATCH_BYTES / 3) + 1;
    expect(chunkForBatch([1, 2, 3, 4], () => size).map((c) => c.length)).toStrictEqual([2, 2]);
  });

  it("counts a message's body and attributes as SQS does", () => {
    expect(messageBytes("héllo", { source: { DataType: "String", StringValue: "svc:x" } })).toBe(
      6 + 6 + 6 + 5,
    );
  });
});
