/**
 * Spot's limit below the configured pace, end to end: fauxqs, the sandbox's rate limit over real
 * HTTP, the real handler. A 429 is Spot's pace: the message goes back with the wait Spot asked for
 * (or the pace's), is never dead-lettered for it, and the instance's pace learns the limit.
 */
import { describe, expect, it } from "vitest";
import type { FaultPlan } from "../../lib/local/sandbox/types.ts";
import { drainQueue, orderId, sendBodies } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";

const local = testStackPerTest();

/**
 * A local stack whose Spot allows `rateLimit`, its handler set five times faster, with the shipped
 * quick retries (2, up to 2 s apart: a `Retry-After` of 1 s would fit); its EMF lines kept.
 */
async function startLimited(rateLimit: NonNullable<FaultPlan["rateLimit"]>, messages: number) {
  const metrics: Array<Record<string, number>> = [];
  const stack = await local.start({
    sandbox: { seedCount: messages, faults: { rateLimit } },
    // A client timeout that a starved machine's slow 429 does not outrun: a refusal answered late is
    // still a refusal to pace on, not a timeout (the lease outlasts the call and its retries).
    handler: {
      requestsPerSecond: rateLimit.perSecond * 5,
      concurrency: 10,
      requestTimeoutMs: 2_000,
      retryLimit: 2,
      retryMaxDelayMs: 2_000,
      ledgerLeaseSeconds: 12,
    },
    onMetrics: (document) => metrics.push(document as Record<string, number>),
  });
  const bodies = Array.from({ length: messages }, (_, i) => ({
    publicId: orderId(i + 1),
    metadata: { n: String(i + 1) },
  }));
  return { stack, metrics, bodies };
}

const paceHandBacks = () => local.logs.entries().filter((entry) => entry.cause === "pace");
const sum = (metrics: Array<Record<string, number>>, name: string) =>
  metrics.reduce((total, line) => total + (line[name] ?? 0), 0);

describe("Spot's limit below the configured pace", () => {
  it("applies every message, dead-letters none, hands every 429 back at once, and learns a pace below the ceiling", async () => {
    // Prepare
    const { stack, metrics, bodies } = await startLimited({ perSecond: 20, retryAfterSeconds: 1 }, 100);
    const { sqs, queues, sandbox } = stack;

    // Act
    await sendBodies(sqs, queues.queueUrl, bodies);
    await stack.waitUntilDrained({ timeoutMs: 100_000 });

    // Assess: everything applied, nothing dead-lettered.
    expect(bodies.map(({ publicId }) => sandbox.metadataOf(publicId))).toStrictEqual(
      bodies.map(({ metadata }) => metadata),
    );
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
    // Each refused call went back for the pace's wait (at least a second, SQS's unit), none waited
    // in-process: the wait would hold the instance's whole batch.
    const refused = sandbox.requests.filter((request) => request.fault === "rate_limit").length;
    expect(paceHandBacks().length).toBe(refused);
    for (const handBack of paceHandBacks()) expect(handBack.waitSeconds).toBeGreaterThanOrEqual(1);
    // The metrics count what Spot saw, and the pace ended below the ceiling of 100/s.
    expect([sum(metrics, "SpotCalls"), sum(metrics, "Refused")]).toStrictEqual([
      sandbox.requests.length,
      refused,
    ]);
    // (Read at its lowest: on a loaded machine the last invocations may call slower than Spot's
    // limit, unrefused, and the pace grows back toward the ceiling, as it should.)
    expect(Math.min(...metrics.map((line) => line.PacePerSecond ?? Number.POSITIVE_INFINITY))).toBeLessThan(
      50,
    );
    // The fixed pacer at 100/s gets most of its calls refused (bench:pace); the learned pace, few.
    expect(refused).toBeLessThan(sandbox.requests.length / 4);
  });

  it("sends a refused message back for as long as Retry-After asked", async () => {
    // Prepare
    // Prepare: ten calls at once against a limit of two a second: refused on a machine of any speed
    // (thirty against ten a second were spread past the limit's second on a loaded one, none refused).
    const { stack, bodies } = await startLimited({ perSecond: 2, retryAfterSeconds: 2 }, 10);
    const { sqs, queues, sandbox } = stack;

    // Act
    await sendBodies(sqs, queues.queueUrl, bodies);
    await stack.waitUntilDrained({ timeoutMs: 100_000 });

    // Assess
    expect(paceHandBacks().length).toBeGreaterThan(0);
    expect(new Set(paceHandBacks().map((handBack) => handBack.waitSeconds))).toStrictEqual(new Set([2]));
    expect(bodies.map(({ publicId }) => sandbox.metadataOf(publicId))).toStrictEqual(
      bodies.map(({ metadata }) => metadata),
    );
    expect(await drainQueue(sqs, queues.dlqUrl)).toStrictEqual([]);
  });

  it("keeps the configured pace when adaptation is off", async () => {
    // Prepare
    const metrics: Array<Record<string, number>> = [];
    const { sqs, queues } = await local.start({
      handler: { requestsPerSecond: 40, adaptivePace: false },
      onMetrics: (document) => metrics.push(document as Record<string, number>),
    });

    // Act
    await sendBodies(sqs, queues.queueUrl, [{ publicId: orderId(1), metadata: { n: "1" } }]);
    await local.stack?.waitUntilDrained();

    // Assess
    expect(metrics.map((line) => line.PacePerSecond)).toStrictEqual([40]);
  });
});
