/**
 * Newest wins under faults, crashes and shuffled delivery: many orders, each with up to three updates,
 * through the ledger on dynalite, the queue on fauxqs and a Spot sandbox that fails one call in five.
 * Its own file (split from ordering.test.ts) so that it runs beside the other pipeline files. (The
 * short soak, which CI runs after `npm test`, does the same with 1,000 updates and every fault.)
 */
import { describe, expect, it } from "vitest";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import { drainQueue, orderId, sendBodies, type TestUpdate } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";

const local = testStackPerTest();
const start = local.start;

const ORDERS = 100;
const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();

describe("newest wins", () => {
  it("holds the newest update of every order after faults, crashes and shuffled delivery", async () => {
    // Prepare: 100 orders with one to three updates each, shuffled.
    const dice = seededDice(5);
    const updates: TestUpdate[] = [];
    const newest = new Map<string, TestUpdate>();
    for (let i = 1; i <= ORDERS; i++) {
      const count = 1 + Math.floor(dice() * 3);
      for (let k = 0; k < count; k++) {
        const update = { publicId: orderId(i), metadata: { v: `${i}.${k}` }, issuedAt: at(k) };
        updates.push(update);
        newest.set(update.publicId, update);
      }
    }
    updates.sort(() => dice() - 0.5);
    const { sqs, queues, sandbox } = await start({
      queues: { visibilityTimeoutSeconds: 2, maxReceiveCount: 10 },
      sandbox: {
        seedCount: ORDERS,
        seed: 9,
        faults: {
          latencyMs: { min: 1, max: 20 },
          random: [
            { fault: { kind: "status", status: 503 }, rate: 0.1 },
            { fault: { kind: "reset" }, rate: 0.05 },
            { fault: { kind: "html", status: 502 }, rate: 0.05 },
          ],
        },
      },
      eventSource: { pollers: 3, batchSize: 5 },
      wrapHandler: (handler) => async (event, context) => {
        const response = await handler(event, context);
        if (dice() < 0.05) throw new Error("injected crash");
        return response;
      },
    });

    // Act
    await sendBodies(sqs, queues.queueUrl, updates);
    // A bound for a stuck pipeline only: the wait ends when the queue is empty.
    await local.stack?.waitUntilDrained({ timeoutMs: 240_000 });

    // Assess
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
    for (const [publicId, update] of newest)
      expect(sandbox.metadataOf(publicId)).toStrictEqual(update.metadata);
  }, 300_000);
});
