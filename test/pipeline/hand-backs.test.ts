/**
 * A hand-back never costs a good update its place in the queue's receive count (issue 21): Spot's
 * 429s on a FIFO queue, and a producer's own `history` attribute, malformed or dated ahead. Played
 * end to end as in interleavings.test.ts (fauxqs queues, the ledger on dynalite, the real handler
 * under the poller, a scripted Spot over HTTP); each test checks only the end state.
 */
import { describe, expect, it } from "vitest";
import { startHandlerOnQueues } from "../support/handler-on-queues.ts";
import { orderId, type TestUpdate } from "../support/queues.ts";
import { sqsRecord } from "../support/records.ts";
import { serve } from "../support/scripted-spot.ts";
import {
  deadLetterSummaries,
  endState,
  messageCount,
  scriptedStackPerTest,
  sendWithAttributes,
} from "./scripted-stack.ts";

const scripted = scriptedStackPerTest();

const ORDER = orderId(1);
const B: TestUpdate = { publicId: ORDER, metadata: { v: "B" }, issuedAt: "2026-11-27T10:00:02.000Z" };

describe("on a FIFO queue", () => {
  it("Spot's 429s never dead-letter an update: after four 429s and a 503 it is applied once Spot heals", async () => {
    // Prepare: a redrive policy of five receives; Spot answers 429 (Retry-After: 1) four times, then
    // 503, then applies the update.
    const { stack, spot } = await scripted.start(
      {
        orders: [ORDER],
        onPost: (post) => {
          if (post.seq <= 4) return post.fail(429, { retryAfter: "1" });
          if (post.seq === 5) return post.fail(503);
          serve(post);
        },
      },
      {
        queues: { fifo: true, maxReceiveCount: 5 },
        handler: { requestTimeoutMs: 1_000, ledgerLeaseSeconds: 3, lateWriteWindowSeconds: 1 },
      },
    );

    // Act
    await sendWithAttributes(stack.sqs, stack.queues.queueUrl, [{ update: B, fifo: true }]);

    // Assess
    expect(await endState(stack, spot, [ORDER])).toStrictEqual({
      drained: true,
      held: { [ORDER]: B.metadata },
      deadLetters: [],
    });
  });
});

describe("a producer's `history` attribute is not trusted", () => {
  it.each([
    ['{"firstSentAt":1}', 429],
    ['{"ownFailures":4}', 503],
    ['{"firstSentAt":-1e15,"ownFailures":"4","handBacks":null}', 429],
  ])(
    "%s does not dead-letter an update on Spot's first %i: applied once Spot answers",
    async (history, status) => {
      // Prepare: a redrive policy of five receives; Spot fails the first call.
      const { stack, spot } = await scripted.start(
        {
          orders: [ORDER],
          onPost: (post) => (post.seq === 1 ? post.fail(status, { retryAfter: "1" }) : serve(post)),
        },
        {
          queues: { maxReceiveCount: 5 },
          handler: { requestTimeoutMs: 1_000, ledgerLeaseSeconds: 3, lateWriteWindowSeconds: 1 },
        },
      );

      // Act
      await sendWithAttributes(stack.sqs, stack.queues.queueUrl, [{ update: B, attributes: { history } }]);

      // Assess
      expect(await endState(stack, spot, [ORDER])).toStrictEqual({
        drained: true,
        held: { [ORDER]: B.metadata },
        deadLetters: [],
      });
    },
  );

  it("a firstSentAt in the future does not keep an update enqueued 5 days ago from ageing out", async () => {
    // Prepare: the handler on fauxqs queues and the Spot sandbox, which answers 429; a record first
    // enqueued 5 days ago (past the 4 days a message may be handed back), carrying a history dated
    // a day ahead.
    const started = await startHandlerOnQueues();
    try {
      const { handler, queues, sandbox } = started;
      sandbox.setFaults({ script: [{ fault: { kind: "status", status: 429, retryAfter: "1" } }] });
      const now = Date.now();
      const record = sqsRecord(
        { publicId: ORDER, metadata: { v: "B" } },
        { sentAt: now - 5 * 86_400_000, rawHistory: JSON.stringify({ firstSentAt: now + 86_400_000 }) },
      );

      // Act
      await handler({ Records: [record] }, { getRemainingTimeInMillis: () => 30_000 });

      // Assess: dead-lettered as exhausted, as without the history; nothing sent back to go round again.
      const sqs = queues.client();
      const deadLetters = await deadLetterSummaries(sqs, queues.dlqUrl);
      expect({
        deadLetters: deadLetters.map(({ publicId, reasonClass }) => ({ publicId, reasonClass })),
        requeued: await messageCount(sqs, queues.queueUrl),
      }).toStrictEqual({ deadLetters: [{ publicId: ORDER, reasonClass: "exhausted" }], requeued: 0 });
    } finally {
      await started.stop();
    }
  });
});
