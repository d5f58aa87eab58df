/**
 * Newest wins across batches, pollers, retries and replays: the applied-updates ledger on dynalite,
 * the queue on fauxqs, Spot's sandbox recording the order in which updates reached it. The same under
 * faults, crashes and shuffled delivery is in ordering-faults.test.ts.
 */
import { describe, expect, it } from "vitest";
import { DynamoLedger } from "../../lib/lambda/ledger/dynamo-ledger.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import { orderId, sendBodies } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";

const local = testStackPerTest();
const start = local.start;

const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();
const outcomesOf = (messageOutcome: string) =>
  local.logs.entries().filter((e) => e.outcome === messageOutcome);

describe("newest wins", () => {
  it("ends with the newer of two updates handled at once by several pollers, whatever the timing", async () => {
    // Prepare: 40 orders, each with an older and a newer update, sent in a random order, one per batch.
    const dice = seededDice(3);
    const { sqs, queues, sandbox } = await start({
      sandbox: { seedCount: 100, faults: { latencyMs: { min: 1, max: 60 } } },
      eventSource: { pollers: 4, batchSize: 1 },
    });
    const updates = Array.from({ length: 40 }, (_, i) => [
      { publicId: orderId(i + 1), metadata: { v: "old" }, issuedAt: at(1) },
      { publicId: orderId(i + 1), metadata: { v: "new" }, issuedAt: at(2) },
    ]).flat();
    updates.sort(() => dice() - 0.5);

    // Act
    await sendBodies(sqs, queues.queueUrl, updates);
    await local.stack?.waitUntilDrained();

    // Assess: every order ends new, and no "old" was applied after a "new" was: once the newer one
    // is recorded nothing older is sent. (On a loaded machine a slow answer may time out: the newer
    // one is then uncertain, unrecorded, and the older one may rightly go before it is sent again.)
    const applied = outcomesOf("applied").sort((a, b) =>
      String(a.decidedAt).localeCompare(String(b.decidedAt)),
    );
    for (let i = 1; i <= 40; i++) {
      expect(sandbox.metadataOf(orderId(i))).toStrictEqual({ v: "new" });
      const versions = applied.filter((e) => e.publicId === orderId(i)).map((e) => e.issuedAt);
      expect(versions.slice(versions.indexOf(at(2)))).not.toContain(at(1));
    }
  });

  it("never sends an older update, retried after an uncertain failure, once the newer one was sent", async () => {
    const { sqs, queues, sandbox } = await start({ autoStart: false });
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "status", status: 503 } }] });
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "old" }, issuedAt: at(1) },
    ]);
    local.stack?.eventSource.start();
    await waitForOutcome("retry");

    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "new" }, issuedAt: at(2) },
    ]);
    await local.stack?.waitUntilDrained();

    // The 503 may have come after the old write landed, so the old update keeps the order's lease
    // until it lapses: the new one waits for it, and no old write is sent after the first new one.
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "new" });
    const sent = sandbox.requests.map((r) => (r.metadata as { v: string }).v);
    expect(sent[0]).toBe("old");
    expect(sent.slice(sent.indexOf("new")).every((v) => v === "new")).toBe(true);
  });

  it("supersedes a replayed old message, new message id and enqueue time notwithstanding", async () => {
    const { sqs, queues, sandbox } = await start();
    const old = { publicId: orderId(1), metadata: { v: "old" }, issuedAt: at(1) };
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "new" }, issuedAt: at(2) },
    ]);
    await local.stack?.waitUntilDrained();

    await sendBodies(sqs, queues.queueUrl, [old]);
    await local.stack?.waitUntilDrained();

    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "new" });
    expect(sandbox.requests).toHaveLength(1);
    expect(outcomesOf("superseded")).toHaveLength(1);
  });

  it("treats the same issuedAt twice as one update", async () => {
    const { sqs, queues, sandbox } = await start();
    const update = { publicId: orderId(1), metadata: { v: "same" }, issuedAt: at(1) };
    await sendBodies(sqs, queues.queueUrl, [update]);
    await local.stack?.waitUntilDrained();
    await sendBodies(sqs, queues.queueUrl, [update]);
    await local.stack?.waitUntilDrained();

    expect(sandbox.requests).toHaveLength(1);
    expect(outcomesOf("superseded")).toHaveLength(1);
  });

  it("is only delayed by a lease a crashed invocation left behind", async () => {
    const { sqs, queues, sandbox, dynamoDb } = await start();
    if (dynamoDb === undefined) throw new Error("the local stack runs the ledger by default");
    const crashed = new DynamoLedger({ client: dynamoDb.client(), table: dynamoDb.table });
    await crashed.admit(orderId(1), { issuedAt: Date.parse(at(0)), tieBreak: 0 }, Date.now() + 1_000);

    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "new" }, issuedAt: at(2) },
    ]);
    await local.stack?.waitUntilDrained();

    expect(local.logs.entries().some((e) => e.cause === "busy-lease")).toBe(true);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "new" });
  });

  it("without the ledger, lets a late older update overwrite a newer one (the documented cost)", async () => {
    const { sqs, queues, sandbox } = await start({ ledger: false });
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "new" }, issuedAt: at(2) },
    ]);
    await local.stack?.waitUntilDrained();
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "old" }, issuedAt: at(1) },
    ]);
    await local.stack?.waitUntilDrained();

    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "old" });
  });
});

async function waitForOutcome(outcome: string): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  while (!local.logs.entries().some((e) => e.outcome === outcome)) {
    if (Date.now() > giveUpAt) throw new Error(`no "${outcome}" outcome`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
