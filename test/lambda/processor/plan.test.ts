import { describe, expect, it } from "vitest";
import { planBatch } from "../../../lib/lambda/processor/plan.ts";
import { parseVersionNumber, tieBreakOf, versionNumber } from "../../../lib/lambda/processor/version.ts";
import { sqsRecord } from "../../support/records.ts";

const NOW = Date.parse("2026-11-27T10:00:00.000Z");
const options = { now: NOW, maxClockSkewMs: 300_000 };

describe("planning a batch", () => {
  it("sends the newest update per order first, by issuedAt, in batch order, its older ones behind it", () => {
    // Prepare
    const newer = sqsRecord({ publicId: "A", metadata: { v: 2 }, issuedAt: "2026-11-27T10:00:02.000Z" });
    const oldest = sqsRecord({ publicId: "A", metadata: { v: 0 }, issuedAt: "2026-11-27T10:00:00.000Z" });
    const older = sqsRecord({ publicId: "A", metadata: { v: 1 }, issuedAt: "2026-11-27T10:00:01.000Z" });
    const other = sqsRecord({ publicId: "B", metadata: {} }, { sentAt: NOW });
    // Act
    const plan = planBatch([newer, oldest, older, other], options);
    // Assess
    expect(plan.work.map((w) => [w.record.messageId, w.older.map((o) => o.record.messageId)])).toStrictEqual([
      [newer.messageId, [older.messageId, oldest.messageId]],
      [other.messageId, []],
    ]);
    expect(plan.superseded).toStrictEqual([]);
    expect(plan.invalid).toStrictEqual([]);
  });

  it("takes two records of the same update as one: the later stands for both", () => {
    const body = { publicId: "A", metadata: { v: 1 }, issuedAt: "2026-11-27T10:00:01.000Z" };
    const [first, second] = [sqsRecord(body), sqsRecord(body)];
    const plan = planBatch([first, second], options);
    expect(plan.work.map((w) => w.record.messageId)).toStrictEqual([second.messageId]);
    expect(plan.superseded).toStrictEqual([
      { record: first, publicId: "A", issuedAt: "2026-11-27T10:00:01.000Z", by: second.messageId },
    ]);
  });

  it("versions a message without issuedAt by its first enqueue time", () => {
    const late = sqsRecord({ publicId: "A", metadata: { v: "late" } }, { sentAt: 2_000 });
    const early = sqsRecord({ publicId: "A", metadata: { v: "early" } }, { sentAt: 1_000 });
    const plan = planBatch([late, early], options);
    expect(plan.work.map((w) => [w.record.messageId, w.version])).toStrictEqual([
      [late.messageId, { issuedAt: 2_000, tieBreak: tieBreakOf({ v: "late" }) }],
    ]);
  });

  it("breaks a tie of issuedAt by the metadata's tie-break, whatever the order of the records", () => {
    const at = "2026-11-27T10:00:00.000Z";
    const [low, high] = [{ v: 1 }, { v: 2 }].sort((a, b) => tieBreakOf(a) - tieBreakOf(b));
    const lowRecord = sqsRecord({ publicId: "A", metadata: low, issuedAt: at });
    const highRecord = sqsRecord({ publicId: "A", metadata: high, issuedAt: at });
    expect(planBatch([lowRecord, highRecord], options).work.map((w) => w.record.messageId)).toStrictEqual([
      highRecord.messageId,
    ]);
    expect(planBatch([highRecord, lowRecord], options).work.map((w) => w.record.messageId)).toStrictEqual([
      highRecord.messageId,
    ]);
  });

  it("refuses an issuedAt further ahead than the allowed clock skew, and accepts one within it", () => {
    const frozen = sqsRecord({ publicId: "A", metadata: {}, issuedAt: "9999-12-31T23:59:59Z" });
    const slightlyAhead = sqsRecord({ publicId: "B", metadata: {}, issuedAt: "2026-11-27T10:04:00.000Z" });
    const plan = planBatch([frozen, slightlyAhead], options);
    expect(plan.invalid.map((i) => [i.record.messageId, i.reason.replace(/\d{6,} s/, "N s")])).toStrictEqual([
      [frozen.messageId, "issuedAt: is N s in the future, more than the allowed clock skew of 300 s"],
    ]);
    expect(plan.work.map((w) => w.record.messageId)).toStrictEqual([slightlyAhead.messageId]);
  });

  it("sets invalid records aside with their reason", () => {
    const bad = sqsRecord("{oops");
    expect(planBatch([bad], options).invalid).toStrictEqual([
      { record: bad, reason: "body is not valid JSON (5 bytes)" },
    ]);
  });

  it("puts a FIFO queue's records in lanes by message group, a standard queue's by order", () => {
    const fifo = sqsRecord({ publicId: "A", metadata: {} }, { fifo: true, group: "g1", sentAt: NOW });
    const standard = sqsRecord({ publicId: "A", metadata: {} }, { group: "tenant", sentAt: NOW });
    expect(planBatch([fifo], options).work[0]?.laneKey).toBe("group:g1");
    expect(planBatch([standard], options).work[0]?.laneKey).toBe("order:A");
  });
});

describe("a version as one number", () => {
  it.each([
    { issuedAt: 1_795_000_000_000, tieBreak: 0 },
    { issuedAt: 1_795_000_000_000, tieBreak: 2 ** 48 - 1 },
    { issuedAt: -1_000, tieBreak: 7 },
  ])("orders like the pair and reads back: %j", (version) => {
    const number = versionNumber(version);
    expect(parseVersionNumber(number)).toStrictEqual(version);
    const next = versionNumber({ ...version, tieBreak: version.tieBreak + 1 });
    expect(BigInt(number) < BigInt(next)).toBe(true);
    expect(BigInt(number) < BigInt(versionNumber({ issuedAt: version.issuedAt + 1, tieBreak: 0 }))).toBe(
      true,
    );
  });
});
