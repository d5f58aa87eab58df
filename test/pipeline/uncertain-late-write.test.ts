/**
 * What an answer proves, end to end (continued from uncertain.test.ts, in its own file so that the
 * two run side by side): a write that lands after the client gave up never lets an older update
 * overwrite a newer one, inside the order's lease or past it.
 */
import { describe, expect, it } from "vitest";
import type { LocalStackOptions } from "../../lib/local/local-stack.ts";
import { orderId, sendBodies, waitFor } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";
import { logLines, newer, older } from "./two-updates.ts";

const local = testStackPerTest();

const { entriesWith, waitForLog } = logLines(local);

/**
 * The stack with Spot set to commit the older update `afterMs` after it was sent, though the client
 * times out (300 ms); returns once the handler has given up on that write.
 */
async function olderWriteLandingLate(afterMs: number, handler: LocalStackOptions["handler"]) {
  const stack = await local.start({ autoStart: false, handler });
  stack.sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "late-commit", afterMs } }] });
  await sendBodies(stack.sqs, stack.queues.queueUrl, [older]);
  stack.eventSource.start();
  await waitForLog("cause", "own-failure");
  return stack;
}

describe("a write that lands after the client gave up", () => {
  it("does not overwrite a newer update: the order's lease is kept while it may land", async () => {
    // Prepare: Spot commits the older update 1.5 s after the client timed out (300 ms).
    const { sqs, queues, sandbox } = await olderWriteLandingLate(1_800, {
      lateWriteWindowSeconds: 2,
      ledgerLeaseSeconds: 3,
    });

    // Act: the newer update arrives while the older write is still on its way.
    await sendBodies(sqs, queues.queueUrl, [newer]);
    await local.stack?.waitUntilDrained();
    await sandbox.settled();

    // Assess
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(entriesWith("cause", "busy-lease").length).toBeGreaterThan(0);
  });

  it("past the lease, is put right by the newer update's re-assertion", async () => {
    // Prepare: the older write lands 2.5 s after it was sent, after its 2-s lease lapsed; the older
    // message itself comes back only after 5 s or more, so the newer one takes the lapsed lease.
    const { sqs, queues, sandbox } = await olderWriteLandingLate(2_500, {
      backoffBaseSeconds: 10,
      backoffMaxSeconds: 10,
    });

    // Act
    await sendBodies(sqs, queues.queueUrl, [newer]);
    await waitForLog("reassertAfterSeconds", 1);
    const newerWrites = () =>
      sandbox.requests.filter(
        (r) => r.committedAt !== undefined && (r.metadata as { v: string }).v === "newer",
      ).length;
    await waitFor(() => newerWrites() === 2, 10_000, "the newer update written twice");
    await sandbox.settled();

    // Assess: the newer update took the older one's lapsed lease, so it was kept for the window and
    // sent again; whenever the older write landed, the newer one was written after it.
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
    expect(
      sandbox.requests.filter((r) => (r.metadata as { v: string }).v === "newer" && r.status === 200),
    ).toHaveLength(2);
  }, 20_000);
});
