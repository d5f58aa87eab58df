import { describe, expect, it } from "vitest";
import { planBatch } from "../../lib/processor/plan.ts";
import { sqsRecord } from "../support/records.ts";

describe("planning a batch", () => {
  it("keeps only the newest update per order, by issuedAt, in batch order", () => {
    // Prepare
    const newer = sqsRecord({ publicId: "A", metadata: { v: 2 }, issuedAt: "2026-11-27T10:00:02.000Z" });
    const older = sqsRecord({ publicId: "A", metadata: { v: 1 }, issuedAt: "2026-11-27T10:00:01.000Z" });
    const other = sqsRecord({ publicId: "B", metadata: {} });
    // Act
    const plan = planBatch([newer, older, other]);
    // Assess
    expect(plan.work.map((w) => w.record.messageId)).toStrictEqual([newer.messageId, other.messageId]);
    expect(plan.superseded).toStrictEqual([{ record: older, publicId: "A", by: newer.messageId }]);
    expect(plan.invalid).toStrictEqual([]);
  });

  it("versions a message without issuedAt by its first enqueue time", () => {
    const late = sqsRecord({ publicId: "A", metadata: { v: "late" } }, { sentAt: 2_000 });
    const early = sqsRecord({ publicId: "A", metadata: { v: "early" } }, { sentAt: 1_000 });
    const plan = planBatch([late, early]);
    expect(plan.work.map((w) => [w.record.messageId, w.version])).toStrictEqual([[late.messageId, 2_000]]);
  });

  it("lets the later record win a tie", () => {
    const first = sqsRecord({ publicId: "A", metadata: { v: 1 }, issuedAt: "2026-11-27T10:00:00.000Z" });
    const second = sqsRecord({ publicId: "A", metadata: { v: 2 }, issuedAt: "2026-11-27T10:00:00.000Z" });
    expect(planBatch([first, second]).work.map((w) => w.record.messageId)).toStrictEqual([second.messageId]);
  });

  it("sets invalid records aside with their reason", () => {
    const bad = sqsRecord("{oops");
    expect(planBatch([bad]).invalid).toStrictEqual([
      { record: bad, reason: "body is not valid JSON (5 bytes)" },
    ]);
  });

  it("puts a FIFO queue's records in lanes by message group, a standard queue's by order", () => {
    const fifo = sqsRecord({ publicId: "A", metadata: {} }, { fifo: true, group: "g1" });
    const standard = sqsRecord({ publicId: "A", metadata: {} }, { group: "tenant" });
    expect(planBatch([fifo]).work[0]?.laneKey).toBe("group:g1");
    expect(planBatch([standard]).work[0]?.laneKey).toBe("order:A");
  });
});
