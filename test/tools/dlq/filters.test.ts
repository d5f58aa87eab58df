import { describe, expect, it } from "vitest";
import type { Version } from "../../../lib/lambda/processor/version.ts";
import { type DlqMessage, replayAttributes, UNCLASSIFIED } from "../../../lib/tools/dlq/dlq-message.ts";
import { DlqArgumentError } from "../../../lib/tools/dlq/errors.ts";
import {
  describeFilter,
  matchesFilter,
  parseDuration,
  parsePublicIdList,
  parseReasonClass,
} from "../../../lib/tools/dlq/filters.ts";
import { planReplay, SkipReason } from "../../../lib/tools/dlq/replay-plan.ts";
import { summarize } from "../../../lib/tools/dlq/stats.ts";
import { versionOfMessage } from "../../../lib/tools/dlq/superseded.ts";
import { dlqMessage } from "./messages.ts";

const NOW = Date.parse("2026-11-27T12:00:00.000Z");
const at = (iso: string) => ({ lastFailureAt: new Date(iso), firstFailureAt: new Date(iso) });

describe("parseDuration", () => {
  it("reads seconds, minutes, hours, days, weeks and combinations", () => {
    expect(["90s", "30m", "2h", "7d", "1w", "1h30m", "1.5h"].map(parseDuration)).toStrictEqual([
      90_000, 1_800_000, 7_200_000, 604_800_000, 604_800_000, 5_400_000, 5_400_000,
    ]);
  });

  it("rejects what is not a duration, naming the forms it takes", () => {
    for (const bad of ["", "2", "2x", "h", "2h junk", "-1h"]) {
      expect(() => parseDuration(bad)).toThrow(DlqArgumentError);
    }
    expect(() => parseDuration("2")).toThrow(/e\.g\. 90s, 30m, 2h, 7d/);
  });
});

describe("matchesFilter", () => {
  const notFound = dlqMessage({ publicId: "A", failure: at("2026-11-27T11:50:00.000Z") });
  const badRequest = dlqMessage({
    publicId: "B",
    failure: { status: 400, errorType: "bad_request", ...at("2026-11-27T09:00:00.000Z") },
  });
  const exhausted = dlqMessage({
    publicId: "C",
    failure: {
      reasonClass: "exhausted",
      status: 503,
      errorType: "server_error",
      ...at("2026-11-20T12:00:00.000Z"),
    },
  });
  const redriven = dlqMessage({
    publicId: "D",
    noFailure: true,
    sentAt: Date.parse("2026-11-27T11:59:00.000Z"),
  });
  const all = [notFound, badRequest, exhausted, redriven];
  const select = (filter: Parameters<typeof matchesFilter>[1]) =>
    all.filter((m) => matchesFilter(m, filter, NOW)).map((m) => m.publicId);

  it("selects every message with an empty filter", () => {
    expect(select({})).toStrictEqual(["A", "B", "C", "D"]);
  });

  it("selects by publicId, reason class, status and error type (any of each list, all of the lists)", () => {
    expect(select({ publicIds: ["A", "C", "X"] })).toStrictEqual(["A", "C"]);
    expect(select({ reasonClasses: ["exhausted", UNCLASSIFIED] })).toStrictEqual(["C", "D"]);
    expect(select({ statuses: [400, 503] })).toStrictEqual(["B", "C"]);
    expect(select({ errorTypes: ["not_found"] })).toStrictEqual(["A"]);
    expect(select({ reasonClasses: ["permanent"], statuses: [400] })).toStrictEqual(["B"]);
  });

  it("selects by the age of the last failure (the DLQ arrival for a message without failure attributes)", () => {
    expect(select({ olderThanMs: parseDuration("2h") })).toStrictEqual(["B", "C"]);
    expect(select({ newerThanMs: parseDuration("30m") })).toStrictEqual(["A", "D"]);
    expect(select({ olderThanMs: parseDuration("1h"), newerThanMs: parseDuration("1d") })).toStrictEqual([
      "B",
    ]);
  });

  it("says in words what a filter selects", () => {
    expect(describeFilter({})).toBe("every message");
    expect(describeFilter({ reasonClasses: ["exhausted"], statuses: [503], olderThanMs: 7_200_000 })).toBe(
      "reason class exhausted, status 503, last failed over 2h ago",
    );
  });

  it("checks reason classes and id files given on the command line", () => {
    expect(parseReasonClass("unclassified")).toBe(UNCLASSIFIED);
    expect(() => parseReasonClass("bogus")).toThrow(/invalid, permanent, exhausted, unclassified/);
    expect(parsePublicIdList("A\n\n# comment\r\nB  \n", "ids.txt")).toStrictEqual(["A", "B"]);
    expect(() => parsePublicIdList("\n# none\n", "ids.txt")).toThrow(DlqArgumentError);
  });
});

describe("planReplay", () => {
  const options = {
    includeInvalid: false,
    includeSuperseded: false,
    appliedVersions: new Map<string, Version>(),
  };
  /** The ledger's version at `issuedAt`, with the tie-break of `message`'s metadata (or 0). */
  const applied = (issuedAt: number, message?: DlqMessage): Version => ({
    issuedAt,
    tieBreak: (message && versionOfMessage(message)?.tieBreak) ?? 0,
  });

  it("leaves invalid messages unless they were asked for by name", () => {
    const invalid = dlqMessage({ body: "{not json", failure: { reasonClass: "invalid" } });
    const valid = dlqMessage({ publicId: "A" });

    const plan = planReplay([invalid, valid], options);
    const asked = planReplay([invalid, valid], { ...options, includeInvalid: true });

    expect(plan.replay).toStrictEqual([valid]);
    expect(plan.skipped).toStrictEqual([{ message: invalid, reason: SkipReason.invalid }]);
    expect(asked.replay).toStrictEqual([invalid, valid]);
  });

  it("leaves what the ledger has applied the same or a newer version of, unless superseded ones are included", () => {
    const older = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:00.000Z" });
    const same = dlqMessage({ publicId: "B", issuedAt: "2026-11-27T10:00:00.000Z" });
    const newer = dlqMessage({ publicId: "C", issuedAt: "2026-11-27T10:00:00.000Z" });
    const v = Date.parse("2026-11-27T10:00:00.000Z");
    // Without issuedAt (SQS's redrive moved them): the version is the original enqueue time.
    const sentAfter = dlqMessage({ publicId: "D", sentAt: v + 1 });
    const sentBefore = dlqMessage({ publicId: "E", sentAt: v - 1 });
    const appliedVersions = new Map([
      ["A", applied(v + 1)],
      ["B", applied(v, same)],
      ["C", applied(v - 1)],
      ["D", applied(v)],
      ["E", applied(v)],
    ]);
    const all = [older, same, newer, sentAfter, sentBefore];

    const plan = planReplay(all, { ...options, appliedVersions });
    const forced = planReplay(all, { ...options, appliedVersions, includeSuperseded: true });

    expect(plan.replay).toStrictEqual([newer, sentAfter]);
    expect(plan.skipped.map((s) => [s.message.publicId, s.reason])).toStrictEqual([
      ["A", SkipReason.supersededByLedger],
      ["B", SkipReason.supersededByLedger],
      ["E", SkipReason.supersededByLedger],
    ]);
    expect(forced.replay).toHaveLength(5);
  });

  it("orders two updates of one millisecond by their tie-break, as the handler does", () => {
    const at = "2026-11-27T10:00:00.000Z";
    const mine = dlqMessage({ publicId: "A", issuedAt: at, metadata: { a: "mine" } });
    const other = dlqMessage({ publicId: "A", issuedAt: at, metadata: { a: "other" } });
    const [lower, higher] = [mine, other].sort(
      (x, y) => (versionOfMessage(x)?.tieBreak ?? 0) - (versionOfMessage(y)?.tieBreak ?? 0),
    ) as [DlqMessage, DlqMessage];
    const v = Date.parse(at);

    const overLower = planReplay([higher], {
      ...options,
      appliedVersions: new Map([["A", applied(v, lower)]]),
    });
    const overHigher = planReplay([lower], {
      ...options,
      appliedVersions: new Map([["A", applied(v, higher)]]),
    });
    const both = planReplay([lower, higher], options);

    expect(overLower.replay).toStrictEqual([higher]);
    expect(overHigher.skipped).toStrictEqual([{ message: lower, reason: SkipReason.supersededByLedger }]);
    expect(both.replay).toStrictEqual([higher]);
  });

  it("versions a valid body without issuedAt by its original enqueue time, and replays it stamped with it", () => {
    // Prepare: a redriven update sent after the dead-lettered one for the same order
    const stamped = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:00.000Z" });
    const redriven = dlqMessage({
      publicId: "A",
      noFailure: true,
      sentAt: Date.parse("2026-11-27T10:00:05.000Z"),
    });
    const invalid = dlqMessage({
      body: JSON.stringify({ publicId: "a/b", metadata: {} }),
      failure: { reasonClass: "invalid" },
    });

    // Act
    const plan = planReplay([stamped, redriven, invalid], { ...options, includeInvalid: true });

    // Assess
    expect(plan.replay).toStrictEqual([redriven, invalid]);
    expect(plan.skipped).toStrictEqual([{ message: stamped, reason: SkipReason.supersededInDlq }]);
    expect([redriven.version, JSON.parse(redriven.replayBody)]).toStrictEqual([
      Date.parse("2026-11-27T10:00:05.000Z"),
      { publicId: "A", metadata: { a: "1" }, issuedAt: "2026-11-27T10:00:05.000Z" },
    ]);
    expect(stamped.replayBody).toBe(stamped.body);
    expect([invalid.version, invalid.replayBody]).toStrictEqual([undefined, invalid.body]);
  });

  it("replays only the newest of several DLQ messages for one order", () => {
    const v1 = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:00.000Z" });
    const v2 = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:05.000Z" });
    const other = dlqMessage({ publicId: "B", issuedAt: "2026-11-27T10:00:00.000Z" });

    const plan = planReplay([v2, other, v1], options);

    expect(plan.replay).toStrictEqual([v2, other]);
    expect(plan.skipped).toStrictEqual([{ message: v1, reason: SkipReason.supersededInDlq }]);
  });

  it("replays an older message too when Spot refused the newest for good: it may refuse it again", () => {
    const refused = { reasonClass: "permanent", status: 400, errorType: "bad_request" } as const;
    const v1 = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:00.000Z" });
    const v0 = dlqMessage({ publicId: "A", issuedAt: "2026-11-26T10:00:00.000Z" });
    const v2 = dlqMessage({ publicId: "A", issuedAt: "2026-11-27T10:00:05.000Z", failure: refused });

    const plan = planReplay([v2, v1, v0], options);

    expect(plan.replay).toStrictEqual([v2, v1]);
    expect(plan.skipped).toStrictEqual([{ message: v0, reason: SkipReason.supersededInDlq }]);
  });

  it("keeps what is past the limit for a later run", () => {
    const messages = ["A", "B", "C"].map((publicId) => dlqMessage({ publicId }));

    const plan = planReplay(messages, { ...options, limit: 2 });

    expect(plan.replay.map((m) => m.publicId)).toStrictEqual(["A", "B"]);
    expect(plan.overLimit.map((m) => m.publicId)).toStrictEqual(["C"]);
  });
});

describe("replayAttributes", () => {
  it("drops the failure attributes but the first failure's time, keeps the source and counts the replay", () => {
    const message = dlqMessage({
      publicId: "A",
      source: "csv:orders.csv:42",
      replayCount: 2,
      failure: { firstFailureAt: new Date("2026-11-20T08:00:00.000Z") },
    });

    expect(replayAttributes(message)).toStrictEqual({
      source: { DataType: "String", StringValue: "csv:orders.csv:42" },
      "replay-count": { DataType: "Number", StringValue: "3" },
      "failure-first-at": { DataType: "String", StringValue: "2026-11-20T08:00:00.000Z" },
    });
  });
});

describe("summarize", () => {
  it("groups by class, status and error type, biggest first, with oldest and newest failures", () => {
    const messages = [
      dlqMessage({ failure: at("2026-11-27T10:00:00.000Z") }),
      dlqMessage({ failure: at("2026-11-27T11:00:00.000Z") }),
      dlqMessage({
        failure: {
          reasonClass: "exhausted",
          status: 503,
          errorType: "server_error",
          ...at("2026-11-27T09:00:00.000Z"),
        },
      }),
      dlqMessage({ noFailure: true, sentAt: Date.parse("2026-11-27T11:30:00.000Z") }),
    ];

    const totals = {
      approximateTotal: 5,
      read: 4,
      fifo: false,
      truncated: true,
      truncation: "unreachable",
    } as const;

    const stats = summarize(messages, totals);

    expect(stats).toStrictEqual({
      ...totals,
      groups: [
        {
          reasonClass: "permanent",
          status: 404,
          errorType: "not_found",
          count: 2,
          oldestFailureAt: "2026-11-27T10:00:00.000Z",
          newestFailureAt: "2026-11-27T11:00:00.000Z",
          exampleReason: "Spot answered 404 not_found: Order not found",
        },
        {
          reasonClass: "exhausted",
          status: 503,
          errorType: "server_error",
          count: 1,
          oldestFailureAt: "2026-11-27T09:00:00.000Z",
          newestFailureAt: "2026-11-27T09:00:00.000Z",
          exampleReason: "Spot answered 404 not_found: Order not found",
        },
        {
          reasonClass: UNCLASSIFIED,
          status: undefined,
          errorType: undefined,
          count: 1,
          oldestFailureAt: "2026-11-27T11:30:00.000Z",
          newestFailureAt: "2026-11-27T11:30:00.000Z",
          exampleReason: undefined,
        },
      ],
      byReasonClass: { permanent: 2, exhausted: 1, [UNCLASSIFIED]: 1 },
      oldestFailureAt: "2026-11-27T09:00:00.000Z",
      newestFailureAt: "2026-11-27T11:30:00.000Z",
    });
  });
});
