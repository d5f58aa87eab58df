/**
 * An invocation never outlives its deadline waiting for the instance's pace: a call its pace could
 * not start in time is handed back at once (`deadline`), without using a start that the calls behind
 * it need. Waiting instead ran the invocation past its deadline (in Lambda, a timeout: the whole batch
 * back, each receive counted) and let calls that could no longer be made hold back the rest.
 */
import { afterEach, expect, it } from "vitest";
import { startHandlerOnQueues } from "../support/handler-on-queues.ts";
import { orderId } from "../support/queues.ts";
import { sqsRecord } from "../support/records.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

it("hands back at once what the pace cannot start before the deadline, and ends before it", async () => {
  // Prepare: a fixed pace of 1 call a second, three orders, 2 s left of which 0.5 s is margin.
  const started = await startHandlerOnQueues({
    settings: { requestsPerSecond: 1, adaptivePace: false, deadlineMarginMs: 500 },
  });
  stop = started.stop;
  const records = [1, 2, 3].map((n) => sqsRecord({ publicId: orderId(n), metadata: { n } }));
  const startedAt = Date.now();
  const context = { getRemainingTimeInMillis: () => 2_000 - (Date.now() - startedAt) };

  // Act
  await started.handler({ Records: records }, context);
  const tookMs = Date.now() - startedAt;

  // Assess: the pace starts calls at 0 and ~1.05 s; the third could start only after 1.5 s.
  expect(started.metrics[0]).toMatchObject({ SpotCalls: 2, Applied: 2, HandBackDeadline: 1 });
  expect(tookMs).toBeLessThan(2_000);
});
