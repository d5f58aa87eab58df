/**
 * `dlq export` writes every selected message and removes none; `dlq purge` removes nothing without
 * --yes and only the selected with it. On a DLQ filled by the real handler; the tests run in order.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ExportedMessage, exportMessages } from "../../../lib/tools/dlq/export.ts";
import { BAD_REQUEST, deadLetteredStackPerFile, EXHAUSTED, NOT_FOUND } from "./fixture.ts";
import { NOT_FOUND_FAILURE } from "./messages.ts";
import { dlqContents, runDlq, sourceQueueAsDlq } from "./support.ts";

const fixture = deadLetteredStackPerFile();
const files: string[] = [];

function tempFile(name: string): string {
  const path = join(tmpdir(), `dlq-${process.pid}-${name}`);
  files.push(path);
  return path;
}

function readLines(path: string): ExportedMessage[] {
  return readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as ExportedMessage);
}

afterAll(() => {
  for (const file of files) rmSync(file, { force: true });
});

describe("dlq export", () => {
  it("writes every selected message with its failure, one JSON object a line, and removes none", async () => {
    // Prepare
    const { stack } = fixture;
    const out = tempFile("all.jsonl");
    // Act
    const summary = await exportMessages({
      sqs: stack.sqs,
      dlqUrl: stack.queues.dlqUrl,
      filter: {},
      out,
      waitTimeSeconds: 0,
    });
    // Assess
    const lines = readLines(out);
    expect(summary).toMatchObject({ exported: 9, read: 9, truncated: false });
    expect(lines).toHaveLength(9);
    const z404a = lines.find((line) => line.publicId === "Z404A");
    expect(z404a).toStrictEqual({
      messageId: expect.any(String),
      publicId: "Z404A",
      body: JSON.stringify({
        publicId: "Z404A",
        metadata: { cohort: "c0", kit: "k" },
        issuedAt: "2026-11-27T10:00:00.000Z",
      }),
      ...NOT_FOUND_FAILURE,
      firstFailureAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastFailureAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      source: "test:fixture:1",
      replayCount: 0,
      sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await dlqContents(stack)).toHaveLength(9);
  });

  it("writes only the selected ones from the command line", async () => {
    const out = tempFile("exhausted.jsonl");

    const run = await runDlq(fixture.stack, ["export", "--out", out, "--reason-class", "exhausted"]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`exported 2 of 9 read to ${out} (nothing removed`);
    expect(
      readLines(out)
        .map((line) => line.publicId)
        .sort(),
    ).toStrictEqual(EXHAUSTED);
    expect(await dlqContents(fixture.stack)).toHaveLength(9);
  });
});

describe("dlq purge", () => {
  it("removes nothing without --yes, and says what it would remove", async () => {
    const run = await runDlq(fixture.stack, ["purge", "--reason-class", "invalid"]);

    expect(run.code).toBe(0);
    expect(run.out).toContain("would remove 2 of 9 read; nothing removed (add --yes to remove them)");
    expect(await dlqContents(fixture.stack)).toHaveLength(9);
  });

  it("with --yes removes only the selected, after writing them with --export", async () => {
    const out = tempFile("purged.jsonl");

    const run = await runDlq(fixture.stack, ["purge", "--reason-class", "invalid", "--yes", "--export", out]);

    expect(run.code).toBe(0);
    expect(run.out).toContain("removed 2 of 2 selected (9 read)");
    expect(readLines(out).map((line) => line.reasonClass)).toStrictEqual(["invalid", "invalid"]);
    expect(await dlqContents(fixture.stack)).toStrictEqual(
      [...NOT_FOUND, ...BAD_REQUEST, ...EXHAUSTED].sort(),
    );
  });

  it("asks for --all before removing every message, and refuses a queue that is not a DLQ", async () => {
    const wrong = sourceQueueAsDlq(fixture.stack);

    const unfiltered = await runDlq(fixture.stack, ["purge", "--yes"]);
    const notDlq = await runDlq(undefined, ["purge", "--yes", "--all"], wrong);

    expect(unfiltered.code).toBe(1);
    expect(unfiltered.err).toContain("no filter given: that is every message. Add --all if you mean it.");
    expect(notDlq.code).toBe(1);
    expect(notDlq.err).toContain("refusing: spot-order-metadata does not look like this stack's DLQ");
    expect(await dlqContents(fixture.stack)).toHaveLength(7);
  });
});
