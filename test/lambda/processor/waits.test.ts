import { describe, expect, it } from "vitest";
import { MAX_VISIBILITY_SECONDS } from "../../../lib/lambda/backoff.ts";
import { historyOf } from "../../../lib/lambda/processor/history.ts";
import {
  handBackSeconds,
  ownFailureSeconds,
  RECEIVE_SLACK_SECONDS,
} from "../../../lib/lambda/processor/waits.ts";
import { sqsRecord } from "../../support/records.ts";

const longBackoff = { backoffBaseSeconds: 3_600, backoffMaxSeconds: 43_200 };
const atMost = () => 0.999999;

describe("the wait after a message's own failure", () => {
  it("stays within what SQS allows, counted from the receive, not from now", () => {
    // Prepare: a backoff near 12 hours, decided 10 minutes into the invocation.
    const startedAt = 1_000_000;
    const now = startedAt + 600_000;

    // Act
    const seconds = ownFailureSeconds(longBackoff, 30, undefined, atMost, startedAt, now);

    // Assess
    expect(seconds).toBe(MAX_VISIBILITY_SECONDS - RECEIVE_SLACK_SECONDS - 600);
  });

  it("grows with the message's own failures, and is at least what Retry-After asked", () => {
    const config = { backoffBaseSeconds: 30, backoffMaxSeconds: 900 };
    expect([1, 2, 3].map((n) => ownFailureSeconds(config, n, undefined, atMost, 0, 0))).toStrictEqual([
      30, 60, 120,
    ]);
    expect(ownFailureSeconds(config, 1, 200_000, () => 0, 0, 0)).toBe(200);
  });
});

describe("the wait after a hand-back that was not the message's fault", () => {
  it("grows with its hand-backs, not with SQS's receive count", () => {
    const config = { backoffBaseSeconds: 10, backoffMaxSeconds: 900 };
    expect([1, 2, 3].map((n) => handBackSeconds(config, n, undefined, atMost))).toStrictEqual([10, 20, 40]);
  });
});

describe("a message's history", () => {
  it("counts the earlier receives of a message never requeued as its own failures", () => {
    const record = sqsRecord({ publicId: "A", metadata: {} }, { receiveCount: 3, sentAt: 5_000 });
    expect(historyOf(record)).toStrictEqual({ firstSentAt: 5_000, ownFailures: 2, handBacks: 0 });
  });

  it("adds what the handler attached when it requeued the message, and keeps its first enqueue time", () => {
    const record = sqsRecord(
      { publicId: "A", metadata: {} },
      { receiveCount: 2, sentAt: 9_000, history: { firstSentAt: 1_000, ownFailures: 1, handBacks: 4 } },
    );
    expect(historyOf(record)).toStrictEqual({ firstSentAt: 1_000, ownFailures: 2, handBacks: 4 });
  });

  // Whatever somebody else wrote starts afresh from what SQS tells: sent at 9 000, received once.
  const afresh = { firstSentAt: 9_000, ownFailures: 0, handBacks: 0 };
  it.each([
    ["a producer's own, without when it was sent", '{"firstSentAt":1}'],
    ["a producer's own failure count", '{"ownFailures":4}'],
    [
      "one copied from another message (sent at another time)",
      JSON.stringify({ firstSentAt: 1_000, ownFailures: 4, handBacks: 2, requeuedAt: 500_000 }),
    ],
    [
      "a first enqueue after it was sent (in the future)",
      JSON.stringify({ firstSentAt: 10_000_000, ownFailures: 0, handBacks: 0, requeuedAt: 9_000 }),
    ],
    [
      "negative or fractional counts",
      JSON.stringify({ firstSentAt: 1_000, ownFailures: -1, handBacks: 0.5, requeuedAt: 9_000 }),
    ],
    [
      "unknown fields",
      JSON.stringify({ firstSentAt: 1_000, ownFailures: 0, handBacks: 0, requeuedAt: 9_000, extra: 1 }),
    ],
    ["not JSON", "not json"],
    ["JSON that is no object", "[1,2]"],
  ])("believes no history that is %s", (_name, rawHistory) => {
    const record = sqsRecord({ publicId: "A", metadata: {} }, { sentAt: 9_000, rawHistory });
    expect(historyOf(record)).toStrictEqual(afresh);
  });
});
