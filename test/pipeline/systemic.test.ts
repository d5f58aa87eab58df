/**
 * Hand-backs that are not the message's own failure are seen: counted by cause, named in one error
 * line per invocation, and bounded in age. The handler runs on one batch built with the record
 * factory, against fauxqs and the Spot sandbox over their real protocols.
 */
import { afterEach, expect, it } from "vitest";
import type { OrderingGuard } from "../../lib/lambda/processor/ordering.ts";
import type { TokenProvider } from "../../lib/lambda/token.ts";
import type { HandlerOverrides } from "../../lib/lambda/update-handler.ts";
import { startHandlerOnQueues } from "../support/handler-on-queues.ts";
import type { CapturedLogs } from "../support/log-capture.ts";
import { drainQueue, orderId } from "../support/queues.ts";
import { sqsRecord } from "../support/records.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

async function handlerWith(overrides: HandlerOverrides) {
  const started = await startHandlerOnQueues({
    settings: { backoffBaseSeconds: 1, backoffMaxSeconds: 1 },
    overrides,
  });
  stop = started.stop;
  return started;
}

const context = { getRemainingTimeInMillis: () => 30_000 };
const errorLines = (logs: CapturedLogs) => logs.entries().filter((e) => e.level === "error");

it("counts a secret that cannot be read as systemic, and names it in one error line", async () => {
  // Prepare: Secrets Manager refuses the read.
  const unreadable: TokenProvider = Object.assign(
    async (): Promise<string> => {
      throw Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    },
    { invalidate() {} },
  );
  const { handler, logs, metrics, queues } = await handlerWith({ token: unreadable });
  const records = [1, 2].map((n) =>
    sqsRecord({ publicId: orderId(n), metadata: { n } }, { sentAt: Date.now() - 90_000 }),
  );

  // Act
  const response = await handler({ Records: records }, context);

  // Assess: nothing kept or dead-lettered; both sent again, counted, and the cause named once.
  expect(response.batchItemFailures).toStrictEqual([]);
  expect(metrics[0]?.SystemicFailures).toBe(2);
  expect(metrics[0]?.OldestHandBackAgeSeconds).toBeGreaterThanOrEqual(90);
  expect(errorLines(logs).map((e) => e.msg)).toStrictEqual([
    "the Spot token could not be read (AccessDeniedException): nothing is dead-lettered, every message goes back to the queue.",
  ]);
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // their delay: the backoff, 1 s here
  const requeued = await drainQueue(queues.client(), queues.queueUrl);
  expect(requeued.map((m) => JSON.parse(m.attributes?.history?.StringValue ?? "{}").handBacks)).toStrictEqual(
    [1, 1],
  );
});

it("counts a ledger it cannot reach as systemic, and names it in one error line", async () => {
  const unreachable: OrderingGuard = {
    admit: async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { name: "TimeoutError" });
    },
    recordApplied: async () => "recorded",
    settle: async () => undefined,
    release: async () => undefined,
  };
  const { handler, logs, metrics, sandbox } = await handlerWith({ ordering: unreachable });

  await handler({ Records: [sqsRecord({ publicId: orderId(1), metadata: {} })] }, context);

  expect(metrics[0]?.SystemicFailures).toBe(1);
  expect(errorLines(logs)[0]?.msg).toContain("the applied-updates ledger failed: TimeoutError");
  expect(sandbox.requests).toStrictEqual([]);
});

it("dead-letters a message handed back for longer than the queue would keep it, with the cause", async () => {
  // Prepare: a message first enqueued five days ago, and a refused token.
  const { handler, queues, sandbox } = await handlerWith({});
  sandbox.setFaults({ script: [{ fault: { kind: "status", status: 401 } }] });
  const record = sqsRecord({ publicId: orderId(1), metadata: {} }, { sentAt: Date.now() - 5 * 86_400_000 });

  // Act
  await handler({ Records: [record] }, context);

  // Assess
  const [dead] = await drainQueue(queues.client(), queues.dlqUrl);
  expect(dead?.failure?.reasonClass).toBe("exhausted");
  expect(dead?.failure?.reason).toMatch(
    /^handed back for 120\.\d h without a failure of its own; the last cause: systemic: /,
  );
});
