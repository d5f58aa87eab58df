/**
 * What a replay must never do, on a DLQ filled by the real handler (pipeline paused after, so the
 * source queue can be read as the replay left it): lose a message when it dies between send and
 * delete, replay an update the ledger has superseded, outrun its rate, or touch a queue that is not
 * this stack's DLQ. The tests run in order on one DLQ.
 */
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayExitCode } from "../../../lib/cli/dlq/dlq-replay-command.ts";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import { type DeadLetteredStack, ISSUED_AT, NOT_FOUND, startDeadLetteredStack } from "./fixture.ts";
import { dlqContents, inMemoryLedger, runDlq, sourceQueueAsDlq } from "./support.ts";

let fixture: DeadLetteredStack;
const EXTRA = Array.from({ length: 20 }, (_, i) => `Z${5000 + i}`);

beforeAll(async () => {
  fixture = await startDeadLetteredStack({ extraNotFound: EXTRA.length });
  await fixture.stack.eventSource.stop();
  // A long poll the stop cut off on the client side is still open in fauxqs for up to its 1 s wait,
  // and would take (and hide) the first messages the replay sends. Let it lapse.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
}, 60_000);
afterAll(() => fixture?.stack.stop());

/** Takes every message off the source queue (the pipeline is paused: these are what the replay sent). */
async function takeSourceMessages(): Promise<Message[]> {
  const { sqs, queues } = fixture.stack;
  const taken: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) return taken;
    taken.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queues.queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
}

function replayOptions() {
  const { sqs, queues } = fixture.stack;
  return { sqs, dlqUrl: queues.dlqUrl, sourceQueueUrl: queues.queueUrl, waitTimeSeconds: 0 };
}

describe("dlq replay, safety", () => {
  it("keeps to --rate: 20 messages at 20/s take at least 0.9 s, and go back as they were, minus the failure but its first time", async () => {
    // Act
    const started = performance.now();
    const summary = await replayMessages({
      ...replayOptions(),
      filter: { publicIds: EXTRA },
      ratePerSecond: 20,
    });
    const elapsedMs = performance.now() - started;
    const sent = await takeSourceMessages();
    // Assess
    expect(summary.replayed).toHaveLength(20);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(3_000);
    expect(sent.map((m) => JSON.parse(m.Body ?? "{}").publicId).sort()).toStrictEqual(EXTRA);
    const first = sent[0];
    expect(JSON.parse(first?.Body ?? "{}")).toMatchObject({ issuedAt: ISSUED_AT, metadata: { kit: "k" } });
    expect(Object.keys(first?.MessageAttributes ?? {}).sort()).toStrictEqual([
      "failure-first-at",
      "replay-count",
      "source",
    ]);
    expect(first?.MessageAttributes?.["replay-count"]).toStrictEqual({
      DataType: "Number",
      StringValue: "1",
    });
    expect(await dlqContents(fixture.stack)).toHaveLength(9);
  });

  it("loses nothing when it fails between send and delete: the messages are in both queues", async () => {
    const selected = ["Z404A", "Z404B"];

    const summary = await replayMessages({
      ...replayOptions(),
      filter: { publicIds: selected },
      beforeDelete: () => {
        throw new Error("the process died here");
      },
    });
    const sent = await takeSourceMessages();

    expect(summary.replayed).toStrictEqual([]);
    expect(summary.sentNotDeleted.map((r) => r.publicId).sort()).toStrictEqual(selected);
    expect(replayExitCode(summary)).toBe(2);
    expect(sent.map((m) => JSON.parse(m.Body ?? "{}").publicId).sort()).toStrictEqual(selected);
    expect((await dlqContents(fixture.stack)).filter((id) => selected.includes(id))).toStrictEqual(selected);
  });

  it("skips what the ledger has applied the same or a newer version of, and says why", async () => {
    // The duplicates of the interrupted replay were applied: the ledger holds their version.
    const version = Date.parse(ISSUED_AT);
    const ledger = inMemoryLedger({ Z404A: version, Z404B: version + 1, Z404C: version - 1 });

    const dryRun = await replayMessages({
      ...replayOptions(),
      filter: { statuses: [404] },
      ledger,
      dryRun: true,
    });
    const forced = await replayMessages({
      ...replayOptions(),
      filter: { statuses: [404] },
      ledger,
      dryRun: true,
      includeSuperseded: true,
    });
    const summary = await replayMessages({ ...replayOptions(), filter: { statuses: [404] }, ledger });
    const sent = await takeSourceMessages();

    expect(dryRun.skipped["superseded-by-ledger"].map((r) => r.publicId).sort()).toStrictEqual([
      "Z404A",
      "Z404B",
    ]);
    expect(forced.replayed.map((r) => r.publicId).sort()).toStrictEqual(NOT_FOUND);
    expect(summary.replayed.map((r) => r.publicId)).toStrictEqual(["Z404C"]);
    expect(sent.map((m) => JSON.parse(m.Body ?? "{}").publicId)).toStrictEqual(["Z404C"]);
    expect([...new Set(ledger.lookups)].sort()).toStrictEqual(NOT_FOUND);
    expect(await dlqContents(fixture.stack)).toContain("Z404A");
  });

  it("refuses a queue that is not the source queue's DLQ, unless --force", async () => {
    const wrong = sourceQueueAsDlq(fixture.stack);

    const refused = await runDlq(undefined, ["replay"], wrong);
    const forced = await runDlq(undefined, ["replay", "--dry-run", "--force"], wrong);

    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      "spot-meta dlq replay: refusing: spot-order-metadata does not look like this stack's DLQ (spot-order-metadata's redrive policy points at arn:",
    );
    expect(refused.out).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.err).toContain("checked: not checked (--force)");
  });

  it("finds the DLQ from the source queue's redrive policy when it is not named", async () => {
    const { queues } = fixture.stack;

    const run = await runDlq(
      undefined,
      ["replay", "--dry-run"],
      ["--queue-url", queues.queueUrl, "--endpoint-url", queues.endpoint],
    );

    expect(run.code).toBe(0);
    expect(run.err).toContain(`DLQ ${queues.dlqUrl} (source queue ${queues.queueUrl})`);
    expect(run.err).toContain(
      "checked: spot-order-metadata's redrive policy points at spot-order-metadata-dlq",
    );
  });
});
