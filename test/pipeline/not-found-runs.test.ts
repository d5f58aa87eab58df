/**
 * A run of 404s for orders Spot does not have reaches the DLQ in a bounded time, whatever Spot's list
 * of orders (read to tell a wrong base URL from unknown orders) answers, while Spot applies a known
 * order (issue 21). Played end to end: fauxqs queues, the ledger on dynalite, the real handler under
 * the poller, a scripted Spot over HTTP; each test checks only the end state.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { orderId, sendBodies, waitFor } from "../support/queues.ts";
import { deadLetterSummaries, messageCount, scriptedStackPerTest } from "./scripted-stack.ts";

const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();

describe("a run of 404s for orders Spot does not have", () => {
  const scripted = scriptedStackPerTest();
  /**
   * How long the unknown orders' updates may take to reach the DLQ, at 1-2 s backoffs: a few seconds
   * on an idle machine, and the wait ends as soon as they are there. A handler that hands the run of
   * 404s back for good never gets there; the bound leaves a starved machine room to.
   */
  const BOUND_MS = 60_000;

  it.each([404, 403, 500])(
    "is dead-lettered as 404 within a bounded time while Spot's list of orders answers %i, when Spot applies a known order",
    async (listStatus) => {
      // Prepare: one known order; Spot's list of orders (read after a run of 404s) answers listStatus.
      // The batching window gathers the six updates back into one batch each time they come back.
      const knownOrder = orderId(1);
      const unknown = [901, 902, 903, 904, 905, 906].map(orderId);
      const { stack, spot } = await scripted.start(
        { orders: [knownOrder], listStatus },
        {
          handler: {
            backoffBaseSeconds: 1,
            backoffMaxSeconds: 2,
            ledgerLeaseSeconds: 3,
            lateWriteWindowSeconds: 1,
          },
          eventSource: { batchingWindowMs: 1_500 },
        },
      );
      const { sqs, queues } = stack;
      await sendBodies(sqs, queues.queueUrl, [
        { publicId: knownOrder, metadata: { v: "known" }, issuedAt: at(1) },
      ]);
      await waitFor(() => spot.metadataOf(knownOrder) !== null, 10_000, "the known order applied");

      // Act: six updates for unknown orders, together.
      await sendBodies(
        sqs,
        queues.queueUrl,
        unknown.map((publicId) => ({ publicId, metadata: { v: "unknown" }, issuedAt: at(1) })),
      );
      const settled = async () =>
        (await messageCount(sqs, queues.dlqUrl)) >= unknown.length &&
        (await messageCount(sqs, queues.queueUrl)) === 0;
      const deadline = Date.now() + BOUND_MS;
      while (Date.now() < deadline && !(await settled())) await sleep(100);

      // Assess
      const deadLetters = await deadLetterSummaries(sqs, queues.dlqUrl);
      expect({
        sourceQueue: await messageCount(sqs, queues.queueUrl),
        held: spot.metadataOf(knownOrder),
        deadLetters: deadLetters.map(({ publicId, reasonClass, status }) => ({
          publicId,
          reasonClass,
          status,
        })),
      }).toStrictEqual({
        sourceQueue: 0,
        held: { v: "known" },
        deadLetters: unknown.map((publicId) => ({ publicId, reasonClass: "permanent", status: 404 })),
      });
    },
  );
});
