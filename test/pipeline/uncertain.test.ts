/**
 * What an answer proves, end to end: answers that prove nothing about a write are retried, never
 * dead-lettered, and never let an older update in while the write may still land. Each case was seen
 * against a fake of Spot nobody on the team wrote, or found in review; each failed before the fix.
 * Writes that land after the client gave up are in uncertain-late-write.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { OrderingGuard } from "../../lib/lambda/processor/ordering.ts";
import { startSpotSandbox } from "../../lib/local/sandbox/spot-sandbox.ts";
import { drainQueue, orderId, sendBodies } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";
import { logLines, newer, older } from "./two-updates.ts";

const local = testStackPerTest();
const start = local.start;
/**
 * For tests about Spot's answers rather than its silence: a 404 or 429 a starved machine answers
 * after the tests' usual 300 ms is still that answer, not a timeout (the lease outlasts the call).
 */
const SLOW_MACHINE_TIMEOUT = { requestTimeoutMs: 2_000, ledgerLeaseSeconds: 4 };

const { entriesWith, waitForLog } = logLines(local);

describe("an answer that proves nothing", () => {
  it.each([
    ["a maintenance page with status 200", { kind: "html", status: 200 } as const],
    ["an empty 200", { kind: "empty" } as const],
    ["a 200 that is no order", { kind: "garbage" } as const],
  ])("%s is retried, and no older update is applied after it", async (_name, fault) => {
    // Prepare: the newer update meets the junk 200; the older one is queued behind it.
    const { sqs, queues, sandbox } = await start({ autoStart: false });
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault }] });
    await sendBodies(sqs, queues.queueUrl, [newer]);
    local.stack?.eventSource.start();
    await waitForLog("cause", "systemic");

    // Act
    await sendBodies(sqs, queues.queueUrl, [older]);
    await local.stack?.waitUntilDrained();

    // Assess
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });

  it("is a gateway's 4xx outside Spot's envelope: not dead-lettered", async () => {
    const { sqs, queues, sandbox } = await start();
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "gateway", status: 404 } }] });

    await sendBodies(sqs, queues.queueUrl, [newer]);
    await local.stack?.waitUntilDrained();

    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });
});

describe("a 200 for this order", () => {
  it("is applied when it drifts from the documented order, and the drift is reported by name only", async () => {
    const { sqs, queues, sandbox } = await start();
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "drift" } }] });

    await sendBodies(sqs, queues.queueUrl, [{ ...newer, metadata: { v: "newer", dropped: null } }]);
    await local.stack?.waitUntilDrained();

    const [applied] = entriesWith("outcome", "applied");
    expect(applied?.drift).toStrictEqual([
      'status: Invalid option: expected one of "pending"|"in_progress"|"completed"|"canceled"',
      "recipient: Invalid input: expected object, received null",
      "metadata: 1 of 2 keys differ from what was sent",
    ]);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });
});

describe("the ledger after a 200", () => {
  it("is retried, and a message applied but not recorded stays in the queue until it is", async () => {
    // Prepare: the ledger refuses the record of the first update three times (a throttle).
    let refusals = 0;
    const throttled = (ledger: OrderingGuard): OrderingGuard => ({
      admit: (...args) => ledger.admit(...args),
      settle: (...args) => ledger.settle(...args),
      release: (...args) => ledger.release(...args),
      recordApplied: async (...args) => {
        if (refusals++ < 3) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
        return ledger.recordApplied(...args);
      },
    });
    const { sqs, queues, sandbox } = await start({ wrapOrdering: throttled });

    // Act: the update, then (once it is recorded) an older one.
    await sendBodies(sqs, queues.queueUrl, [newer]);
    await local.stack?.waitUntilDrained();
    await sendBodies(sqs, queues.queueUrl, [older]);
    await local.stack?.waitUntilDrained();

    // Assess: kept once, sent again and recorded; the older one is superseded, never sent.
    expect(entriesWith("cause", "unrecorded")).toHaveLength(1);
    expect(sandbox.requests.map((r) => (r.metadata as { v: string }).v)).toStrictEqual(["newer", "newer"]);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(entriesWith("outcome", "superseded")).toHaveLength(1);
  });
});

describe("what is not the message's fault", () => {
  it("never dead-letters it: Spot's 429 on every receive, past the queue's receive count", async () => {
    // Prepare: one receive allowed; Spot refuses the first three calls for its pace. (A client timeout
    // a starved machine's slow 429 does not outrun: this is about the answer, not about timing out.)
    const { sqs, queues, sandbox } = await start({
      queues: { maxReceiveCount: 1 },
      handler: { maxReceiveCount: 1, ...SLOW_MACHINE_TIMEOUT },
    });
    const throttled = { publicId: orderId(1), fault: { kind: "status", status: 429 } as const };
    sandbox.setFaults({ script: [throttled, throttled, throttled] });

    // Act
    await sendBodies(sqs, queues.queueUrl, [newer]);
    await local.stack?.waitUntilDrained({ timeoutMs: 30_000 });

    // Assess
    expect(entriesWith("cause", "pace")).toHaveLength(3);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });

  it("dead-letters nothing when every order answers 404 because the base URL is wrong", async () => {
    // Prepare: a Spot whose path the handler gets wrong (its own sandbox stays unused).
    const spot = await startSpotSandbox({ seedCount: 10 });
    try {
      const { sqs, queues } = await start({
        handler: { spotBaseUrl: `${spot.url}/wrong-base`, spotToken: spot.token, ...SLOW_MACHINE_TIMEOUT },
      });
      const bodies = Array.from({ length: 6 }, (_, i) => ({ publicId: orderId(i + 1), metadata: { i } }));

      // Act
      await sendBodies(sqs, queues.queueUrl, bodies);
      await waitForLog("cause", "systemic");

      // Assess: the run of 404s, with no order Spot surely has to read back, opens the circuit.
      expect(String(entriesWith("cause", "systemic")[0]?.reason)).toContain("5 orders in a row answered 404");
      await local.stack?.eventSource.stop();
      expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
    } finally {
      await spot.close();
    }
  });

  it("still dead-letters orders that do not exist, once an order applied before reads back at the base URL", async () => {
    // Prepare: an order applied, so the handler knows one Spot surely has; Spot's list is never read.
    const { sqs, queues, sandbox } = await start();
    await sendBodies(sqs, queues.queueUrl, [{ publicId: orderId(1), metadata: { known: true } }]);
    await local.stack?.waitUntilDrained();
    const bodies = Array.from({ length: 6 }, (_, i) => ({ publicId: `Z40${i}`, metadata: { i } }));

    await sendBodies(sqs, queues.queueUrl, bodies);
    await local.stack?.waitUntilDrained();

    const dead = await drainQueue(sqs, queues.dlqUrl);
    expect(dead.map((d) => d.failure?.status)).toStrictEqual([404, 404, 404, 404, 404, 404]);
    expect(sandbox.requests.filter((r) => r.method === "GET")).toStrictEqual([]);
  });
});
