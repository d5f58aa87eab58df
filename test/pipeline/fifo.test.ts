/**
 * A FIFO pair of queues: a failed message holds back the later ones of its group in that batch.
 * fauxqs hands out one message of a group at a time, so the batch with two of them is built here
 * with the record factory; the handler still talks to fauxqs and to the sandbox for real.
 */
import { afterEach, expect, it } from "vitest";
import { startHandlerOnQueues } from "../support/handler-on-queues.ts";
import { drainQueue, orderId } from "../support/queues.ts";
import { sqsRecord } from "../support/records.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

/** A FIFO pair of queues and a sandbox that answers 503 to the first call for order 1. */
async function startFifoHandler() {
  const started = await startHandlerOnQueues({ fifo: true });
  stop = started.stop;
  started.sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "status", status: 503 } }] });
  return started;
}

it("calls Spot for nothing after a failed message of its group, and hands the rest of the group back", async () => {
  // Prepare: two orders in one message group (a producer grouping by customer); the first fails.
  const { handler, logs, sandbox } = await startFifoHandler();
  const records = [1, 2, 3].map((n) =>
    sqsRecord(
      { publicId: orderId(n), metadata: { n } },
      { fifo: true, group: n < 3 ? "customer-7" : "customer-8" },
    ),
  );

  // Act
  const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => 30_000 });

  // Assess: order 2 waits behind order 1; order 3, in another group, goes through.
  expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toStrictEqual([
    records[0]?.messageId,
    records[1]?.messageId,
  ]);
  // Different groups run concurrently: compare without their arrival order.
  expect(sandbox.requests.map((r) => [r.publicId, r.status]).sort()).toStrictEqual([
    [orderId(1), 503],
    [orderId(3), 200],
  ]);
  expect(logs.entries().find((e) => e.publicId === orderId(2))?.reason).toBe(
    `held back behind ${records[0]?.messageId}, which goes back to the queue, in its FIFO group`,
  );
});

it("holds back an invalid record behind a failed one of its group, instead of dead-lettering it too", async () => {
  // Prepare: in one group, a message Spot fails, then a body that breaks the contract.
  const { handler, queues } = await startFifoHandler();
  const records = [
    sqsRecord({ publicId: orderId(1), metadata: { n: 1 } }, { fifo: true, group: "customer-7" }),
    sqsRecord("{not json", { fifo: true, group: "customer-7" }),
  ];

  // Act
  const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => 30_000 });

  // Assess: both stay in the queue, in order; the invalid one reaches the DLQ only on its own turn.
  expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toStrictEqual(
    records.map((r) => r.messageId),
  );
  expect(await drainQueue(queues.client(), queues.dlqUrl)).toStrictEqual([]);
});
