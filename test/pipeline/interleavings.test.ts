/**
 * Interleavings that break the ordering protocol (issue 21), each played end to end: fauxqs queues,
 * the ledger on dynalite, the real handler under the poller, and a scripted Spot over HTTP that
 * commits and answers each POST when the test says. Each test checks only the end state: what Spot
 * holds, what the DLQ holds and why, whether the source queue drained.
 *
 * Where a test must slow or fail a call of the ledger, it wraps the ordering guard in a Proxy on the
 * method named below, and nothing else: the protocol's internals are free to change.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { sendGarbage } from "../../lib/local/sandbox/replies.ts";
import { interpose } from "../support/interpose.ts";
import { orderId, sendBodies, type TestUpdate, waitFor } from "../support/queues.ts";
import { type ScriptedPost, type ScriptedSpot, serve, until } from "../support/scripted-spot.ts";
import { endState, scriptedStackPerTest } from "./scripted-stack.ts";

/** The ordering guard's method that records an applied update (after the rewrite: `recordApplied`). */
const RECORD_METHOD = "recordApplied";

const scripted = scriptedStackPerTest();

const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();
const ORDER = orderId(1);
const update = (v: string, second: number): TestUpdate => ({
  publicId: ORDER,
  metadata: { v },
  issuedAt: at(second),
});
const A = update("A", 1);
const B = update("B", 2);
const C = update("C", 3);
const postsOf = (spot: ScriptedSpot, u: TestUpdate) =>
  spot.posts.filter((p) => p.metadata.v === (u.metadata as { v: string }).v);

describe("two copies of one update (a duplicate delivery)", () => {
  it.each([
    ["a 200", (post: ScriptedPost) => post.ok()],
    ["a 429 in Spot's envelope", (post: ScriptedPost) => post.fail(429, { retryAfter: "3" })],
  ])(
    "never land after a newer update, when the first copy gets %s: Spot ends holding the newer",
    async (_answer, firstCopy) => {
      // Prepare: two pollers, one message each. Copy 1 is answered once copy 2's call is running too
      // (or after 2 s, if it never is); copy 2's 200 comes once the newer update C has landed (or after
      // 3.5 s), well within its 4-s request timeout.
      let invocationsEnded = 0;
      const { stack, spot } = await scripted.start(
        {
          orders: [ORDER],
          onPost: async (post, spot) => {
            const nthB = postsOf(spot, B).indexOf(post);
            if (nthB === 0) {
              await until(() => postsOf(spot, B).length >= 2, 2_000);
              return firstCopy(post);
            }
            if (nthB === 1) {
              await until(() => postsOf(spot, C).some((p) => p.committedAt !== undefined), 3_500);
              return post.ok();
            }
            serve(post);
          },
        },
        {
          handler: { requestTimeoutMs: 4_000, ledgerLeaseSeconds: 6, lateWriteWindowSeconds: 1 },
          eventSource: {
            pollers: 2,
            batchSize: 1,
            // Both pollers stay in their long poll, so each takes one copy of a batch sent at once.
            waitTimeSeconds: 20,
            onInvocation: () => {
              invocationsEnded += 1;
            },
          },
        },
      );

      // Act: B delivered twice at once; C, newer, once the first invocation is over.
      await sendBodies(stack.sqs, stack.queues.queueUrl, [B, B]);
      await waitFor(() => invocationsEnded > 0, 10_000, "the first invocation to end");
      await sendBodies(stack.sqs, stack.queues.queueUrl, [C]);

      // Assess
      expect(await endState(stack, spot, [ORDER])).toStrictEqual({
        drained: true,
        held: { [ORDER]: C.metadata },
        deadLetters: [],
      });
    },
  );
});

describe("an update whose record comes after its lease lapsed", () => {
  it("keeps its right to re-assert over an older write that landed after it, though the lease is busy when it comes back", async () => {
    // Prepare: B's record (the ledger's write after its 200) waits until an older update's record
    // has failed in the gap, then 0.6 s more (that update's own tries); records made meanwhile fail,
    // and leave their lease in place.
    let recordsFailed = 0;
    let firstRecordDone = false;
    const { stack, spot } = await scripted.start(
      { orders: [ORDER] },
      {
        handler: {
          requestTimeoutMs: 1_000,
          ledgerLeaseSeconds: 3,
          lateWriteWindowSeconds: 1,
          backoffBaseSeconds: 2,
          backoffMaxSeconds: 4,
        },
        eventSource: { pollers: 2, batchSize: 1 },
        wrapOrdering: (ledger) =>
          interpose(ledger, RECORD_METHOD, async (call, nth) => {
            if (nth === 1) {
              await until(() => recordsFailed > 0, 8_000);
              await sleep(600);
              return call().finally(() => {
                firstRecordDone = true;
              });
            }
            if (!firstRecordDone) {
              recordsFailed += 1;
              throw new Error("injected: the ledger did not answer");
            }
            return call();
          }),
      },
    );

    // Act: B is applied; once its lease has lapsed (3 s after its call began), A, older, is sent.
    await sendBodies(stack.sqs, stack.queues.queueUrl, [B]);
    await waitFor(() => postsOf(spot, B).some((p) => p.committedAt !== undefined), 10_000, "B written");
    const bSentAt = postsOf(spot, B)[0]?.receivedAt ?? 0;
    await waitFor(() => Date.now() > bSentAt + 3_250, 10_000, "B's lease to lapse");
    await sendBodies(stack.sqs, stack.queues.queueUrl, [A]);

    // Assess
    expect(await endState(stack, spot, [ORDER])).toStrictEqual({
      drained: true,
      held: { [ORDER]: B.metadata },
      deadLetters: [],
    });
  });
});

describe("an update applied with a re-assertion pending", () => {
  it("on its last receive ends applied and deleted, never in the DLQ", async () => {
    // Prepare: a redrive policy of one receive, so every receive is the last. A, older, gets a 200
    // that is no order: its write may still land, so its lease is kept until it lapses; A itself
    // comes back only 4-8 s later.
    const { stack, spot } = await scripted.start(
      {
        orders: [ORDER],
        onPost: (post, spot) => (postsOf(spot, A).indexOf(post) === 0 ? post.send(sendGarbage) : serve(post)),
      },
      {
        queues: { maxReceiveCount: 1 },
        handler: {
          requestTimeoutMs: 1_000,
          ledgerLeaseSeconds: 3,
          lateWriteWindowSeconds: 1,
          backoffBaseSeconds: 8,
          backoffMaxSeconds: 8,
        },
      },
    );
    await sendBodies(stack.sqs, stack.queues.queueUrl, [A]);
    await waitFor(() => postsOf(spot, A)[0]?.answeredAt !== undefined, 10_000, "A answered");
    const aSentAt = postsOf(spot, A)[0]?.receivedAt ?? 0;
    await waitFor(() => Date.now() > aSentAt + 3_250, 10_000, "A's lease to lapse");

    // Act: B takes over A's lapsed lease, so it is applied with a re-assertion to come.
    await sendBodies(stack.sqs, stack.queues.queueUrl, [B]);

    // Assess
    expect(await endState(stack, spot, [ORDER])).toStrictEqual({
      drained: true,
      held: { [ORDER]: B.metadata },
      deadLetters: [],
    });
  });
});
