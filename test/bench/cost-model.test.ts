/** The cost model's arithmetic on fixed inputs (bench/support/cost-model.ts). */
import { describe, expect, it } from "vitest";
import {
  costPerMillion,
  dynamoItemBytes,
  LOG_GB_BYTES,
  type PerMessage,
  readUnits,
  sampledShare,
  sqsBilledRequests,
  worstCaseBilledMs,
  writeUnits,
} from "../../bench/support/cost-model.ts";
import { sqsWeigher } from "../../bench/support/request-counter.ts";

/**
 * A batch of 10 in 1 s, 3 SQS requests a batch, 2 ledger writes an update, 1 GB of logs a million,
 * half the invocations traced.
 */
const PER_MESSAGE: PerMessage = {
  invocations: 0.1,
  billedMsPerInvocation: 1000,
  sqsRequests: 0.3,
  writeUnits: 2,
  readUnits: 0.5,
  logBytes: LOG_GB_BYTES / 1e6,
  traces: 0.05,
};

describe("the cost model", () => {
  it("prices a million updates by component", () => {
    // Act
    const cost = costPerMillion(PER_MESSAGE, 512);

    // Assess: 100,000 invocations × 0.5 GB × 1 s = 50,000 GB-s.
    expect(cost.lambdaCompute).toBeCloseTo(50_000 * 0.0000133334, 6);
    expect(cost.lambdaRequests).toBeCloseTo(0.02, 6);
    expect(cost.dynamoWrites).toBeCloseTo(1.25, 6);
    expect(cost.dynamoReads).toBeCloseTo(0.0625, 6);
    expect(cost.sqs).toBeCloseTo(0.12, 6);
    expect(cost.logs).toBeCloseTo(0.5, 6);
    expect(cost.xray).toBeCloseTo(0.25, 6);
    expect(cost.total).toBeCloseTo(0.66667 + 0.02 + 1.25 + 0.0625 + 0.12 + 0.5 + 0.25, 4);
  });

  it("scales only the compute with the memory size", () => {
    const at256 = costPerMillion(PER_MESSAGE, 256);
    const at512 = costPerMillion(PER_MESSAGE, 512);

    expect(at256.lambdaCompute * 2).toBeCloseTo(at512.lambdaCompute, 9);
    expect(at512.total - at256.total).toBeCloseTo(at256.lambdaCompute, 9);
  });

  it("stretches CPU time by the share of a vCPU a memory size gets, never below the measured time", () => {
    expect(worstCaseBilledMs(1000, 10, 1769)).toBe(1000);
    expect(worstCaseBilledMs(1000, 10, 3538)).toBe(1000);
    // 1,769 / 128 = 13.82 times slower: 10 ms of CPU cost 128.2 ms more.
    expect(worstCaseBilledMs(1000, 10, 128)).toBe(1129);
  });

  it("samples the first invocation each second for X-Ray, then 5 % of the rest", () => {
    expect([0.2, 1, 2, 21].map(sampledShare)).toStrictEqual([1, 1, 0.525, 2 / 21]);
  });

  it("counts SQS requests in 64 KB chunks of payload", () => {
    expect([0, 65_536, 65_537, 10 * 16_384].map(sqsBilledRequests)).toStrictEqual([1, 1, 2, 3]);
    const entries = Array.from({ length: 10 }, (_, i) => ({
      Id: String(i),
      MessageBody: "x".repeat(16_384),
    }));
    expect(sqsWeigher("SendMessageBatchCommand", { Entries: entries }, {})).toBe(3);
    expect(sqsWeigher("ReceiveMessageCommand", {}, { Messages: [{ Body: "{}" }] })).toBe(1);
    expect(sqsWeigher("DeleteMessageBatchCommand", { Entries: entries }, {})).toBe(1);
  });

  it("counts DynamoDB request units by item size", () => {
    expect([165, 1024, 1025].map(writeUnits)).toStrictEqual([1, 1, 2]);
    expect([readUnits(165, true), readUnits(165, false), readUnits(4097, true)]).toStrictEqual([1, 0.5, 2]);
  });

  it("sizes an item as DynamoDB does: names, string bytes, number digits", () => {
    const bytes = dynamoItemBytes({
      publicId: { S: "O0000001" }, // 8 + 8
      leaseUntil: { N: "1700000000123" }, // 10 + (13 digits → 7) + 1
      reassert: { BOOL: true }, // 8 + 1
    });

    expect(bytes).toBe(16 + 18 + 9);
  });
});
