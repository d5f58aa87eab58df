/**
 * The pipeline end to end: fauxqs over the real SQS protocol, the Spot sandbox over real HTTP, the
 * queue poller invoking the real handler. Nothing here is mocked.
 */
import { DeleteQueueCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import { drainQueue, orderId, sendBodies, waitFor } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";

const local = testStackPerTest();
const start = local.start;

describe("the pipeline", () => {
  it("applies valid updates and deletes them from the queue", async () => {
    // Prepare
    const { sqs, queues, sandbox } = await start();
    // Act
    await sendBodies(
      sqs,
      queues.queueUrl,
      [1, 2, 3].map((n) => ({ publicId: orderId(n), metadata: { cohort: `c${n}` } })),
    );
    await local.stack?.waitUntilDrained();
    // Assess
    expect([1, 2, 3].map((n) => sandbox.metadataOf(orderId(n)))).toStrictEqual([
      { cohort: "c1" },
      { cohort: "c2" },
      { cohort: "c3" },
    ]);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });

  it("dead-letters 404, 400 and invalid bodies at once, with their reasons", async () => {
    const { sqs, queues, sandbox } = await start();
    sandbox.setFaults({ script: [{ publicId: orderId(2), fault: { kind: "status", status: 400 } }] });

    await sendBodies(sqs, queues.queueUrl, [
      { publicId: "Z404", metadata: { a: "1" } },
      { publicId: orderId(2), metadata: { a: "2" } },
      "{not json",
      JSON.stringify({ publicId: "../kits/X", metadata: {} }),
    ]);
    await local.stack?.waitUntilDrained();

    const dead = await drainQueue(sqs, queues.dlqUrl);
    const byBody = (match: string) => dead.find((d) => d.body.includes(match))?.failure;
    expect(dead).toHaveLength(4);
    expect(byBody("Z404")).toMatchObject({
      reasonClass: ReasonClass.permanent,
      status: 404,
      errorType: "not_found",
      details: ["Order not found"],
      attempts: 1,
    });
    expect(byBody(orderId(2))).toMatchObject({
      reasonClass: ReasonClass.permanent,
      status: 400,
      errorType: "bad_request",
    });
    expect(byBody("{not json")).toMatchObject({
      reasonClass: ReasonClass.invalid,
      reason: "body is not valid JSON (9 bytes)",
    });
    expect(byBody("kits")?.reason).toBe("publicId: may hold only letters, digits, '_' and '-'");
    // Dead-lettered at once: each was tried at most once, and the invalid ones never reached Spot.
    expect(sandbox.requests.map((r) => r.publicId).sort()).toStrictEqual([orderId(2), "Z404"]);
  });

  it("retries 429 and 5xx spaced by the visibility backoff, then applies", async () => {
    const { sqs, queues, sandbox } = await start({
      handler: { backoffBaseSeconds: 1, backoffMaxSeconds: 2 },
    });
    sandbox.setFaults({
      script: [
        { publicId: orderId(1), fault: { kind: "status", status: 429 } },
        { publicId: orderId(1), fault: { kind: "status", status: 503 } },
      ],
    });

    await sendBodies(sqs, queues.queueUrl, [{ publicId: orderId(1), metadata: { n: "1" } }]);
    await local.stack?.waitUntilDrained();

    const times = sandbox.requests.filter((r) => r.publicId === orderId(1)).map((r) => r.receivedAt);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ n: "1" });
    expect(times).toHaveLength(3);
    // Equal jitter on a 1 s base: at least half a second, then at least one second.
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(450);
    expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("dead-letters a message still failing transiently on its last receive, with the last error", async () => {
    const { sqs, queues, sandbox } = await start({
      queues: { maxReceiveCount: 3 },
      handler: { backoffBaseSeconds: 1, backoffMaxSeconds: 1 },
    });
    sandbox.setFaults({
      script: Array.from({ length: 5 }, () => ({
        publicId: orderId(1),
        fault: { kind: "status", status: 503 } as const,
      })),
    });

    await sendBodies(sqs, queues.queueUrl, [{ publicId: orderId(1), metadata: { n: "1" } }]);
    await local.stack?.waitUntilDrained();

    const [dead] = await drainQueue(sqs, queues.dlqUrl);
    expect(dead?.failure).toMatchObject({
      reasonClass: ReasonClass.exhausted,
      status: 503,
      errorType: "server_error",
      attempts: 3,
    });
    expect(dead?.failure?.firstFailureAt.getTime()).toBeLessThan(dead?.failure?.lastFailureAt.getTime() ?? 0);
    expect(sandbox.requests).toHaveLength(3);
  });

  it("never dead-letters for a refused token, even past the queue's receive limit", async () => {
    const { sqs, queues, sandbox } = await start({
      queues: { maxReceiveCount: 2 },
      handler: { spotToken: "wrong-token-for-test", backoffBaseSeconds: 1, backoffMaxSeconds: 1 },
    });

    await sendBodies(sqs, queues.queueUrl, [{ publicId: orderId(1), metadata: { n: "1" } }]);
    await waitFor(() => sandbox.requests.length >= 4, 20_000, "four attempts");

    expect(sandbox.requests.every((r) => r.status === 401)).toBe(true);
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
    const loud = local.logs.entries().filter((e) => e.level === "error" && e.alarm === "SystemicFailures");
    expect(loud.length).toBeGreaterThanOrEqual(1);
    // Past receive 2 it was requeued as a new message, not left to the redrive policy.
    expect(local.logs.entries().some((e) => e.outcome === "requeued")).toBe(true);
  });

  it("sends only the newest of two updates for one order in a batch", async () => {
    const { sqs, queues, sandbox } = await start({ autoStart: false });
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "new" }, issuedAt: "2026-11-27T10:00:01.000Z" },
      { publicId: orderId(1), metadata: { v: "old" }, issuedAt: "2026-11-27T10:00:00.000Z" },
    ]);

    local.stack?.eventSource.start();
    await local.stack?.waitUntilDrained();

    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "new" });
    expect(sandbox.requests.map((r) => r.metadata)).toStrictEqual([{ v: "new" }]);
    // Each outcome line names the update's version, never its metadata: which update was which.
    const outcomes = local.logs.entries().filter((e) => e.outcome !== undefined);
    expect(outcomes.map((e) => [e.outcome, e.issuedAt]).sort()).toStrictEqual([
      ["applied", "2026-11-27T10:00:01.000Z"],
      ["superseded", "2026-11-27T10:00:00.000Z"],
    ]);
  });

  it("tries an older update of the batch when Spot refuses the newest for good: the order ends with the greatest it accepts", async () => {
    const { sqs, queues, sandbox } = await start({ autoStart: false });
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "status", status: 400 } }] });
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { v: "refused" }, issuedAt: "2026-11-27T10:00:02.000Z" },
      { publicId: orderId(1), metadata: { v: "old" }, issuedAt: "2026-11-27T10:00:00.000Z" },
      { publicId: orderId(1), metadata: { v: "accepted" }, issuedAt: "2026-11-27T10:00:01.000Z" },
    ]);

    local.stack?.eventSource.start();
    await local.stack?.waitUntilDrained();

    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ v: "accepted" });
    const dead = await drainQueue(sqs, queues.dlqUrl);
    expect(dead.map((d) => [JSON.parse(d.body).metadata.v, d.failure?.status])).toStrictEqual([
      ["refused", 400],
    ]);
  });

  it("starts no call near the deadline and hands the rest back", async () => {
    const { sqs, queues, sandbox } = await start({
      autoStart: false,
      handler: { concurrency: 1, deadlineMarginMs: 1_000 },
      eventSource: { functionTimeoutMs: 1_500 },
      sandbox: { seedCount: 20, faults: { latencyMs: 200 } },
    });
    await sendBodies(
      sqs,
      queues.queueUrl,
      [1, 2, 3, 4, 5, 6].map((n) => ({ publicId: orderId(n), metadata: { n } })),
    );

    local.stack?.eventSource.start();
    await local.stack?.waitUntilDrained();

    const handedBack = local.logs
      .entries()
      .filter((e) => String(e.reason).startsWith("too little of the invocation's time"));
    expect(handedBack.length).toBeGreaterThan(0);
    expect([1, 2, 3, 4, 5, 6].map((n) => sandbox.metadataOf(orderId(n)))).toStrictEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ({ n })),
    );
  });

  it("loses nothing when the handler crashes mid-batch", async () => {
    let crashes = 0;
    const { sqs, queues, sandbox } = await start({
      queues: { visibilityTimeoutSeconds: 1 },
      wrapHandler: (handler) => async (event, context) => {
        const response = await handler(event, context);
        if (crashes++ === 0) throw new Error("crash after calling Spot, before answering");
        return response;
      },
    });

    await sendBodies(
      sqs,
      queues.queueUrl,
      [1, 2, 3].map((n) => ({ publicId: orderId(n), metadata: { n } })),
    );
    await local.stack?.waitUntilDrained();

    expect([1, 2, 3].map((n) => sandbox.metadataOf(orderId(n)))).toStrictEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    // The crashed invocation's records came back; the ledger knew they were applied, so Spot was not called twice.
    expect(local.logs.entries().filter((e) => e.outcome === "superseded")).toHaveLength(3);
    expect(sandbox.requests).toHaveLength(3);
  });

  it("keeps a message in the source queue when the DLQ cannot be written", async () => {
    const { sqs, queues } = await start();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queues.dlqUrl }));

    await sendBodies(sqs, queues.queueUrl, ["{not json"]);
    await waitFor(() => local.logs.entries().some((e) => e.outcome === "kept"), 10_000, "the outcome line");

    const depth = await local.stack?.queueDepth(queues.queueUrl);
    expect(depth).toStrictEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(
      local.logs
        .entries()
        .some(
          (e) =>
            e.level === "error" && e.msg === "send to queue failed; the messages stay in the source queue",
        ),
    ).toBe(true);
  });

  it("never logs the token or metadata values", async () => {
    const secret = "health-secret-value-e2e";
    const { sqs, queues, sandbox } = await start();
    sandbox.setFaults({ script: [{ publicId: orderId(1), fault: { kind: "status", status: 503 } }] });

    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { diagnosis: secret } },
      { publicId: "Z404", metadata: { diagnosis: secret } },
      JSON.stringify({ publicId: "a/b", metadata: { diagnosis: secret } }),
    ]);
    await local.stack?.waitUntilDrained();

    expect(local.logs.lines.length).toBeGreaterThan(0);
    for (const line of local.logs.lines) {
      expect(line).not.toContain(sandbox.token);
      expect(line).not.toContain(secret);
    }
  });

  it("dates each outcome line by its call, not by the end of its batch", async () => {
    // Prepare: one order's call hangs until its timeout, the other's is answered at once (within a
    // timeout a loaded machine's slow answer does not outrun; the lease outlasts the call)
    const { sqs, queues, sandbox } = await start({
      handler: { requestTimeoutMs: 2_000, ledgerLeaseSeconds: 4 },
    });
    sandbox.setFaults({ script: [{ publicId: orderId(2), fault: { kind: "hang" } }] });

    // Act
    await sendBodies(
      sqs,
      queues.queueUrl,
      [1, 2].map((n) => ({ publicId: orderId(n), metadata: { n: String(n) } })),
    );
    await waitFor(() => local.logs.entries().filter((entry) => entry.outcome !== undefined).length >= 2);

    // Assess: the answered one was decided well before its batch ended, the hung one at the end
    const [fast, slow] = [1, 2].map((n) =>
      local.logs.entries().find((entry) => entry.publicId === orderId(n) && entry.outcome !== undefined),
    );
    const ms = (value: unknown) => Date.parse(String(value));
    expect(fast?.outcome).toBe("applied");
    expect(ms(fast?.time) - ms(fast?.decidedAt)).toBeGreaterThanOrEqual(200);
    expect(ms(slow?.decidedAt) - ms(fast?.decidedAt)).toBeGreaterThanOrEqual(200);
    // Lines of one invocation name it, as Lambda's request id.
    expect(fast?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(slow?.awsRequestId).toBe(fast?.awsRequestId);
  });
});
