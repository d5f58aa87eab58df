/**
 * `dlq replay` with each filter, on a DLQ filled by the real handler, with the pipeline running:
 * each replay moves exactly the selected messages, the rest stay, and the replayed ones are then
 * applied by the same handler. The tests run in order on one DLQ: each says what is left.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import {
  BAD_REQUEST,
  type DeadLetteredStack,
  EXHAUSTED,
  INVALID_BODIES,
  NOT_FOUND,
  startDeadLetteredStack,
} from "./fixture.ts";
import { dlqContents, readWhole, runDlq } from "./support.ts";

let fixture: DeadLetteredStack;
const INVALID_IN_DLQ = ["../kits/X", "{not json"];

beforeAll(async () => {
  fixture = await startDeadLetteredStack();
}, 60_000);
afterAll(() => fixture?.stack.stop());

/** The fixture gives message n of the valid ones `{cohort: "c<n>", kit: "k"}`. */
function metadataOf(publicId: string) {
  const index = [...NOT_FOUND, ...BAD_REQUEST, ...EXHAUSTED].indexOf(publicId);
  return { cohort: `c${index}`, kit: "k" };
}

describe("dlq replay, filter by filter", () => {
  it("moves nothing in a dry run, and says what it would do", async () => {
    // Act
    const run = await runDlq(fixture.stack, ["replay", "--dry-run"]);
    const old = await runDlq(fixture.stack, ["replay", "--older-than", "1h", "--json"]);
    // Assess
    expect(run.code).toBe(0);
    expect(run.out).toContain("would replay 7 of 9 selected (9 read)");
    expect(run.out).toContain("skipped 2 invalid: their bodies break the contract");
    expect(JSON.parse(old.out)).toMatchObject({ matched: 0, replayed: [] });
    expect(await dlqContents(fixture.stack)).toHaveLength(9);
    expect(await fixture.stack.queueDepth(fixture.stack.queues.queueUrl)).toStrictEqual({
      visible: 0,
      inFlight: 0,
      delayed: 0,
    });
  });

  it("--public-id replays that order only, and the pipeline applies it", async () => {
    const { stack } = fixture;
    stack.sandbox.addOrders(NOT_FOUND);

    const run = await runDlq(stack, ["replay", "--public-id", "Z404A"]);
    await stack.waitUntilDrained();

    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^replayed 1 of 1 selected \(9 read\)/);
    expect(stack.sandbox.metadataOf("Z404A")).toStrictEqual(metadataOf("Z404A"));
    expect(stack.sandbox.metadataOf("Z404B")).toBeNull();
    expect(await dlqContents(stack)).toStrictEqual(
      [...INVALID_IN_DLQ, ...BAD_REQUEST, ...EXHAUSTED, "Z404B", "Z404C"].sort(),
    );
  });

  it("with --ledger-table, skips a duplicate the pipeline has already applied, and says why", async () => {
    // Prepare: a replay that died between send and delete leaves Z404B in both queues; the
    // pipeline applies the copy on the source queue, and the ledger records its version.
    const { stack } = fixture;
    const ledger = stack.dynamoDb;
    if (ledger === undefined) throw new Error("the local stack runs without its ledger");
    await replayMessages({
      sqs: stack.sqs,
      dlqUrl: stack.queues.dlqUrl,
      sourceQueueUrl: stack.queues.queueUrl,
      filter: { publicIds: ["Z404B"] },
      waitTimeSeconds: 0,
      beforeDelete: () => {
        throw new Error("the process died here");
      },
    });
    await stack.waitUntilDrained();
    // Act
    const run = await runDlq(stack, [
      "replay",
      "--public-id",
      "Z404B",
      "--ledger-table",
      ledger.table,
      "--ledger-endpoint-url",
      ledger.endpoint,
    ]);
    // Assess
    expect(stack.sandbox.metadataOf("Z404B")).toStrictEqual(metadataOf("Z404B"));
    expect(run.code).toBe(0);
    expect(run.err).toContain(`superseded check: the ledger table ${ledger.table}`);
    expect(run.out).toMatch(/^replayed 0 of 1 selected/);
    expect(run.out).toContain(
      "skipped 1 superseded: the ledger has applied the same or a newer update for the order (--include-superseded to replay anyway): Z404B",
    );
    expect(await dlqContents(stack)).toContain("Z404B");
  });

  it("--public-ids FILE replays the listed orders", async () => {
    const { stack } = fixture;
    const file = join(tmpdir(), `dlq-ids-${process.pid}.txt`);
    writeFileSync(file, "# from the incident ticket\nZ404B\nZ404C\nZ404A\n");

    const run = await runDlq(stack, ["replay", "--public-ids", file, "--json"]);
    await stack.waitUntilDrained();

    expect(
      JSON.parse(run.out)
        .replayed.map((r: { publicId: string }) => r.publicId)
        .sort(),
    ).toStrictEqual(["Z404B", "Z404C"]);
    expect(stack.sandbox.metadataOf("Z404C")).toStrictEqual(metadataOf("Z404C"));
    expect(await dlqContents(stack)).toStrictEqual([...INVALID_IN_DLQ, ...BAD_REQUEST, ...EXHAUSTED].sort());
  });

  it("--status replays the messages Spot answered that status", async () => {
    const { stack } = fixture;

    const run = await runDlq(stack, ["replay", "--status", "400"]);
    await stack.waitUntilDrained();

    expect(run.out).toMatch(/^replayed 2 of 2 selected/);
    expect(BAD_REQUEST.map((id) => stack.sandbox.metadataOf(id))).toStrictEqual(BAD_REQUEST.map(metadataOf));
    expect(await dlqContents(stack)).toStrictEqual([...INVALID_IN_DLQ, ...EXHAUSTED].sort());
  });

  it("--reason-class and --error-type together replay the exhausted ones", async () => {
    const { stack } = fixture;

    const run = await runDlq(stack, [
      "replay",
      "--reason-class",
      "exhausted",
      "--error-type",
      "server_error",
    ]);
    await stack.waitUntilDrained();

    expect(run.out).toMatch(/^replayed 2 of 2 selected/);
    expect(EXHAUSTED.map((id) => stack.sandbox.metadataOf(id))).toStrictEqual(EXHAUSTED.map(metadataOf));
    expect(await dlqContents(stack)).toStrictEqual(INVALID_IN_DLQ);
  });

  it("leaves invalid messages unless --reason-class invalid names them, and says so", async () => {
    const { stack } = fixture;

    const run = await runDlq(stack, ["replay"]);

    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^replayed 0 of 2 selected/);
    expect(run.out).toContain("select them with --reason-class invalid");
    expect(await dlqContents(stack)).toStrictEqual(INVALID_IN_DLQ);
  });

  it("replays invalid ones when named: they come back with the body unchanged, the source kept, replay-count 1, and their first failure", async () => {
    const { stack } = fixture;
    const firstFailures = new Map(
      (await readWhole(stack.sqs, stack.queues.dlqUrl)).map((m) => [m.body, m.failure?.firstFailureAt]),
    );

    const run = await runDlq(stack, ["replay", "--reason-class", "invalid"]);
    await stack.waitUntilDrained();

    expect(run.out).toMatch(/^replayed 2 of 2 selected/);
    const messages = await readWhole(stack.sqs, stack.queues.dlqUrl);
    expect(messages.map((m) => m.body).sort()).toStrictEqual([...INVALID_BODIES].sort());
    for (const message of messages) {
      expect(message.replayCount).toBe(1);
      expect(message.source).toMatch(/^test:fixture:\d+$/);
      expect(message.reasonClass).toBe("invalid");
      // The handler dead-lettered it again, and kept when it first failed, before the replay.
      expect(message.failure?.firstFailureAt).toStrictEqual(firstFailures.get(message.body));
      expect(message.failure?.lastFailureAt.getTime()).toBeGreaterThan(
        message.failure?.firstFailureAt.getTime() ?? Number.POSITIVE_INFINITY,
      );
    }
  });
});
