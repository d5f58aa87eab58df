/**
 * Nothing is lost: N updates in, with faults at Spot, crashing invocations and several pollers; at the
 * end every one is applied or dead-lettered with the right reason, and Spot holds what was sent. (The
 * short soak, which CI runs after `npm test`, does the same with 1,000 updates and every fault.)
 */
import { afterEach, expect, it } from "vitest";
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import { captureLogs } from "../support/log-capture.ts";
import { drainQueue, orderId, sendBodies, type TestUpdate } from "../support/queues.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
});

it("applies or dead-letters every message, with faults, crashes and three pollers", async () => {
  // Prepare: 135 known orders and 15 unknown ones, one update each.
  const known = 135;
  const unknown = 15;
  const updates: TestUpdate[] = [
    ...Array.from({ length: known }, (_, i) => ({
      publicId: orderId(i + 1),
      metadata: { n: String(i + 1) },
    })),
    ...Array.from({ length: unknown }, (_, i) => ({ publicId: `Z${i}`, metadata: { n: "unknown" } })),
  ];
  const dice = seededDice(7);
  stack = await startLocalStack({
    logger: captureLogs("warn").logger,
    onMetrics: () => {},
    // Longer than an invocation with a hang and its retry (2 × the timeout), or a message still being
    // worked on would be received again, and its receives would reach the redrive policy's count.
    queues: { visibilityTimeoutSeconds: 5 },
    sandbox: {
      seedCount: known,
      seed: 11,
      faults: {
        latencyMs: { min: 1, max: 15 },
        random: [
          { fault: { kind: "status", status: 429, retryAfter: "1" }, rate: 0.06 },
          { fault: { kind: "status", status: 503 }, rate: 0.06 },
          { fault: { kind: "status", status: 500 }, rate: 0.04 },
          { fault: { kind: "html", status: 502 }, rate: 0.05 },
          { fault: { kind: "reset" }, rate: 0.05 },
          { fault: { kind: "hang" }, rate: 0.04 },
        ],
      },
    },
    handler: {
      // Long enough that a loaded machine's slow 200 is not taken for a hang: a write that landed
      // after the client gave up, five times over, would be dead-lettered though Spot holds it.
      requestTimeoutMs: 800,
      retryLimit: 1,
      retryMaxDelayMs: 100,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 2,
    },
    eventSource: { pollers: 3, batchingWindowMs: 50 },
    // One invocation in twenty dies after calling Spot and before answering.
    wrapHandler: (handler) => async (event, context) => {
      const response = await handler(event, context);
      if (dice() < 0.05) throw new Error("injected crash");
      return response;
    },
  });

  // Act
  await sendBodies(stack.sqs, stack.queues.queueUrl, updates);
  // A bound for a stuck pipeline only: the wait ends when the queue is empty (~15 s idle; a starved
  // machine makes every invocation slower and its retries more).
  await stack.waitUntilDrained({ timeoutMs: 240_000 });

  // Assess
  const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
  // A crash after the DLQ write and before the answer dead-letters a message twice: a duplicate, not a loss.
  const deadOrders = new Set(dead.map((d) => d.publicId));
  const applied = updates.filter(
    (u) => JSON.stringify(stack?.sandbox.metadataOf(u.publicId)) === JSON.stringify(u.metadata),
  );
  expect(applied.length + deadOrders.size).toBe(updates.length);
  expect(applied.some((u) => deadOrders.has(u.publicId))).toBe(false);
  for (const letter of dead) {
    if (letter.publicId?.startsWith("Z")) {
      expect(letter.failure).toMatchObject({
        reasonClass: ReasonClass.permanent,
        status: 404,
        errorType: "not_found",
      });
    } else {
      expect(letter.failure?.reasonClass).toBe(ReasonClass.exhausted);
    }
  }
  expect([...deadOrders].filter((id) => id?.startsWith("Z"))).toHaveLength(unknown);
}, 300_000);
