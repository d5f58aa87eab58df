/**
 * What an answer proves, end to end (continued from uncertain.test.ts, in its own file so that the
 * two run side by side): a write that lands after the client gave up never lets an older update
 * overwrite a newer one, inside the order's lease or past it.
 */
import { describe, expect, it } from "vitest";
import type { LocalStackOptions } from "../../lib/local/local-stack.ts";
import { orderId, sendBodies } from "../support/queues.ts";
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

  it("reopens the order when the write can no longer land, not when the lease would have ended", async () => {
    // Prepare: a 1-s late-write window and a 20-s longest hold; the older write lands 500 ms after
    // the client gave up (300 ms), inside the window.
    const { sqs, queues, sandbox } = await olderWriteLandingLate(800, {
      lateWriteWindowSeconds: 1,
      ledgerLeaseSeconds: 20,
    });

    // Act: the newer update arrives while the older call settles.
    await sendBodies(sqs, queues.queueUrl, [newer]);
    await local.stack?.waitUntilDrained();
    await sandbox.settled();

    // Assess: applied after the older write landed, and never held for the 20-s lease: told to come
    // back when the order reopens (a window), or, on a machine starved until the window had passed
    // before the newer update was received, sent at once. Held until the lease's end, it would be
    // sent at least ~20 s after the older one (whatever the load), or told to wait ~20 s.
    const waits = entriesWith("cause", "busy-lease").map((line) => Number(line.waitSeconds));
    expect(waits.every((seconds) => seconds <= 2)).toBe(true);
    const posts = sandbox.requests.filter((r) => r.method === "POST" && r.publicId === orderId(1));
    const sentAt = (v: string) =>
      posts.find((r) => (r.metadata as { v?: string }).v === v)?.receivedAt ?? NaN;
    expect(sentAt("newer") - sentAt("older")).toBeLessThan(15_000);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual(newer.metadata);
  });
});
