import { describe, expect, it } from "vitest";
import { chunkForBatch, inBatches, MAX_BATCH_BYTES, messageBytes } from "../../../lib/lambda/sqs/batches.ts";

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

describe("inBatches", () => {
  it("sends ten a call, and returns each item SQS refused or whose call failed, with why", async () => {
    const calls: number[][] = [];
    const items = Array.from({ length: 25 }, (_, n) => n);
    const notTaken = await inBatches(items, async (chunk) => {
      calls.push(chunk);
      if (chunk[0] === 10) throw Object.assign(new Error("denied"), { name: "AccessDenied" });
      return { Failed: chunk[0] === 0 ? [{ Id: "3", Code: "InternalError" }] : [] };
    });
    expect(calls.map((chunk) => chunk.length)).toStrictEqual([10, 10, 5]);
    expect(notTaken.map(({ item, code }) => [item, code])).toStrictEqual([
      [3, "InternalError"],
      ...Array.from({ length: 10 }, (_, n) => [10 + n, "AccessDenied"]),
    ]);
  });
});
