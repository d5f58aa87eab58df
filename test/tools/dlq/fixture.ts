/**
 * A DLQ filled by the real handler through the local stack: unknown orders (404, permanent), orders
 * Spot refuses (400, permanent), bodies that break the contract (invalid), and orders Spot keeps
 * answering 503 until the last receive (exhausted, maxReceiveCount 2). The stack keeps running, so
 * replayed messages are applied by the same pipeline.
 */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll } from "vitest";
import { type LocalStack, startLocalStack } from "../../../lib/local/local-stack.ts";
import { captureLogs } from "../../support/log-capture.ts";
import { orderId, waitFor } from "../../support/queues.ts";

export const NOT_FOUND = ["Z404A", "Z404B", "Z404C"];
export const BAD_REQUEST = [orderId(2), orderId(3)];
export const EXHAUSTED = [orderId(4), orderId(5)];
export const INVALID_BODIES = ["{not json", JSON.stringify({ publicId: "../kits/X", metadata: {} })];
export const ISSUED_AT = "2026-11-27T10:00:00.000Z";

export interface DeadLetteredStack {
  stack: LocalStack;
  /** How many messages the DLQ holds once the fixture is built. */
  deadLettered: number;
  /** Every publicId of a valid message in the DLQ, for `extraNotFound` included. */
  notFound: string[];
}

/**
 * Starts the local stack, sends the fixture's messages and waits until every one is dead-lettered.
 * @param options.extraNotFound more unknown orders (Z5000…), for tests that need volume
 */
export async function startDeadLetteredStack(
  options: { extraNotFound?: number; fifo?: boolean } = {},
): Promise<DeadLetteredStack> {
  const stack = await startLocalStack({
    logger: captureLogs("warn").logger,
    onMetrics: () => {},
    queues: { maxReceiveCount: 2, ...(options.fifo ? { fifo: true } : {}) },
    sandbox: { seedCount: 20 },
    // No call here hangs: a timeout long enough that a loaded machine's slow answer is not one (a
    // timed-out 404 would be a failure, and three orders failing with nothing applied is an outage,
    // which dead-letters nothing). The ledger's lease must outlast such a call and the late-write window.
    handler: {
      requestTimeoutMs: 5_000,
      retryLimit: 0,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 1,
      ledgerLeaseSeconds: 10,
    },
    eventSource: { batchingWindowMs: 50 },
  });
  stack.sandbox.setFaults({
    script: [
      ...BAD_REQUEST.map((publicId) => ({ publicId, fault: { kind: "status", status: 400 } as const })),
      ...EXHAUSTED.flatMap((publicId) =>
        [1, 2].map(() => ({ publicId, fault: { kind: "status", status: 503 } as const })),
      ),
    ],
  });
  const notFound = [
    ...NOT_FOUND,
    ...Array.from({ length: options.extraNotFound ?? 0 }, (_, i) => `Z${5000 + i}`),
  ];
  const bodies = [
    ...[...notFound, ...BAD_REQUEST, ...EXHAUSTED].map((publicId, i) =>
      JSON.stringify({ publicId, metadata: { cohort: `c${i}`, kit: "k" }, issuedAt: ISSUED_AT }),
    ),
    ...INVALID_BODIES,
  ];
  await sendWithSource(stack.sqs, stack.queues.queueUrl, bodies, options.fifo ?? false);
  const deadLettered = bodies.length;
  await waitFor(
    async () => (await stack.queueDepth(stack.queues.dlqUrl)).visible === deadLettered,
    30_000,
    "every fixture message in the DLQ",
  );
  await stack.waitUntilDrained({ timeoutMs: 30_000 });
  return { stack, deadLettered, notFound };
}

/**
 * The dead-lettered stack of a test file: built before its first test, stopped after its last; the
 * file's tests share it, in order. Read its properties inside a test or hook.
 */
export function deadLetteredStackPerFile(): DeadLetteredStack {
  let fixture: DeadLetteredStack | undefined;
  beforeAll(async () => {
    fixture = await startDeadLetteredStack();
  }, 60_000);
  afterAll(() => fixture?.stack.stop());
  const built = (): DeadLetteredStack => {
    if (fixture === undefined)
      throw new Error("the dead-lettered stack is built before the file's first test");
    return fixture;
  };
  return {
    get stack() {
      return built().stack;
    },
    get deadLettered() {
      return built().deadLettered;
    },
    get notFound() {
      return built().notFound;
    },
  };
}

/** Each message carries a `source` attribute, as the CSV importer's do. */
async function sendWithSource(
  sqs: SQSClient,
  queueUrl: string,
  bodies: string[],
  fifo: boolean,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: { source: { DataType: "String", StringValue: `test:fixture:${i + j + 1}` } },
          ...(fifo ? { MessageGroupId: `g${i + j}`, MessageDeduplicationId: `d${i + j}` } : {}),
        })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`send failed: ${JSON.stringify(result.Failed)}`);
  }
}
