/** `dlq stats` and `dlq peek` on a DLQ filled by the real handler; both leave every message in place. */
import { describe, expect, it } from "vitest";
import { dlqStats, peekMessages } from "../../../lib/tools/dlq/inspect.ts";
import { BAD_REQUEST, deadLetteredStackPerFile, EXHAUSTED, NOT_FOUND } from "./fixture.ts";
import { runDlq } from "./support.ts";

const fixture = deadLetteredStackPerFile();

describe("dlq stats", () => {
  it("groups the messages by class, status and error type, and makes them visible again", async () => {
    // Prepare
    const { stack } = fixture;
    // Act
    const stats = await dlqStats({ sqs: stack.sqs, dlqUrl: stack.queues.dlqUrl, waitTimeSeconds: 0 });
    // Assess
    expect(stats.groups.map((g) => [g.count, g.reasonClass, g.status, g.errorType])).toStrictEqual([
      [3, "permanent", 404, "not_found"],
      [2, "exhausted", 503, "server_error"],
      [2, "invalid", undefined, undefined],
      [2, "permanent", 400, "bad_request"],
    ]);
    expect(stats).toMatchObject({ approximateTotal: 9, read: 9, truncated: false });
    expect(stats.byReasonClass).toStrictEqual({ permanent: 5, exhausted: 2, invalid: 2 });
    expect(Date.parse(stats.oldestFailureAt ?? "")).toBeLessThanOrEqual(
      Date.parse(stats.newestFailureAt ?? ""),
    );
    expect(await stack.queueDepth(stack.queues.dlqUrl)).toStrictEqual({
      visible: 9,
      inFlight: 0,
      delayed: 0,
    });
  });

  it("stops at --max and says so", async () => {
    const { stack } = fixture;

    const stats = await dlqStats({ sqs: stack.sqs, dlqUrl: stack.queues.dlqUrl, max: 4, waitTimeSeconds: 0 });

    expect(stats).toMatchObject({ approximateTotal: 9, read: 4, truncated: true });
    expect((await stack.queueDepth(stack.queues.dlqUrl)).visible).toBe(9);
  });

  it("prints an aligned table on a terminal and the same figures with --json", async () => {
    const text = await runDlq(fixture.stack, ["stats"]);
    const json = await runDlq(fixture.stack, ["stats", "--json"]);

    expect(text.code).toBe(0);
    expect(text.err).toMatch(
      /^about to read and count: DLQ http:\/\/127\.0\.0\.1:\d+\/\d+\/spot-order-metadata-dlq/,
    );
    const lines = text.out.split("\n");
    expect(lines[0]).toBe("spot-order-metadata-dlq: 9 messages (SQS's approximate count); 9 read");
    const header = lines.find((line) => line.startsWith("COUNT"));
    const row404 = lines.find((line) => line.includes("not_found"));
    expect(header?.indexOf("ERROR TYPE")).toBe(row404?.indexOf("not_found"));
    expect(row404).toMatch(/^\s+3 {2}permanent {2}404 {5}not_found/);
    expect(text.out).toContain("next: spot-meta dlq peek --reason-class permanent --status 404");
    expect(JSON.parse(json.out)).toMatchObject({
      approximateTotal: 9,
      read: 9,
      byReasonClass: { permanent: 5 },
    });
  });
});

describe("dlq peek", () => {
  it("shows the selected messages with their failure, and hides metadata values", async () => {
    const { stack } = fixture;

    const result = await peekMessages({
      sqs: stack.sqs,
      dlqUrl: stack.queues.dlqUrl,
      filter: { reasonClasses: ["exhausted"] },
      limit: 10,
      waitTimeSeconds: 0,
    });
    const cli = await runDlq(stack, ["peek", "--reason-class", "exhausted"]);

    expect(result.messages.map((m) => m.publicId).sort()).toStrictEqual(EXHAUSTED);
    expect(result.messages[0]?.failure).toMatchObject({
      status: 503,
      errorType: "server_error",
      attempts: 2,
    });
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(new RegExp(`${EXHAUSTED[0]} {2}exhausted {2}503 {2}server_error {2}2 attempts`));
    expect(cli.out).toContain("metadata {2 keys: cohort, kit} (values hidden; --show-metadata)");
    expect(cli.out).toMatch(/source {3}test:fixture:\d+/);
    // The fixture's values are c0…c8 (message ids are hex, hence the word boundaries).
    expect(cli.out).not.toMatch(/\bc\d\b/);
    expect((await stack.queueDepth(stack.queues.dlqUrl)).visible).toBe(9);
  });

  it("shows metadata values only with --show-metadata", async () => {
    const hidden = await runDlq(fixture.stack, ["peek", "--public-id", NOT_FOUND[0] ?? "", "--json"]);
    const shown = await runDlq(fixture.stack, [
      "peek",
      "--public-id",
      NOT_FOUND[0] ?? "",
      "--json",
      "--show-metadata",
    ]);

    const [quiet] = JSON.parse(hidden.out).messages;
    const [loud] = JSON.parse(shown.out).messages;
    expect(quiet).toMatchObject({
      publicId: "Z404A",
      status: 404,
      metadataKeys: ["cohort", "kit"],
      replayCount: 0,
    });
    expect(quiet.body).toBeUndefined();
    expect(hidden.out).not.toContain('"c0"');
    expect(loud.metadata).toStrictEqual({ cohort: "c0", kit: "k" });
  });

  it("shows at most --limit, and says how many match in all", async () => {
    const cli = await runDlq(fixture.stack, ["peek", "--status", "400,404", "--limit", "2"]);

    expect(cli.out.match(/^\S+ {2}permanent/gm)).toHaveLength(2);
    expect(cli.out).toContain("showing 2 of 5 matching (--limit to see more)");
  });

  it("selects by error type and by age", async () => {
    const badRequest = await runDlq(fixture.stack, ["peek", "--error-type", "bad_request", "--json"]);
    const old = await runDlq(fixture.stack, ["peek", "--older-than", "1h", "--json"]);
    const recent = await runDlq(fixture.stack, ["peek", "--newer-than", "1h", "--json"]);

    expect(
      JSON.parse(badRequest.out)
        .messages.map((m: { publicId: string }) => m.publicId)
        .sort(),
    ).toStrictEqual(BAD_REQUEST);
    expect(JSON.parse(old.out).messages).toStrictEqual([]);
    expect(JSON.parse(recent.out).messages).toHaveLength(9);
  });

  it("exits 1 with the reason when an argument is wrong", async () => {
    const cli = await runDlq(fixture.stack, ["peek", "--older-than", "soon"]);

    expect(cli.code).toBe(1);
    expect(cli.err).toContain(
      "error: option '--older-than <duration>' argument 'soon' is invalid. \"soon\" is not a duration",
    );
  });
});
