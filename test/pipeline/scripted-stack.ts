/**
 * The local stack (fauxqs, the ledger on dynalite, the poller and the real handler) calling a
 * scripted Spot over HTTP, per test, and the end state a test checks: what Spot holds for each order,
 * what the DLQ holds with which failure, and whether the source queue drained. A test whose Spot
 * script failed fails too.
 */
import { type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterEach } from "vitest";
import { queueDepth } from "../../lib/lambda/sqs/queue-depth.ts";
import type { LocalStack, LocalStackOptions } from "../../lib/local/local-stack.ts";
import { drainQueue, type TestUpdate } from "../support/queues.ts";
import { type ScriptedSpot, type ScriptedSpotOptions, startScriptedSpot } from "../support/scripted-spot.ts";
import { testStackPerTest } from "../support/test-stack.ts";

/** For a test file: `start` a scripted Spot and a local stack calling it; both stop after each test. */
export function scriptedStackPerTest() {
  let spot: ScriptedSpot | undefined;
  // Registered before the stack's own hook, so it runs after it: the stack stops calling Spot first.
  afterEach(async () => {
    const errors = spot?.scriptErrors ?? [];
    await spot?.close();
    spot = undefined;
    // A script that threw answered 500 where the test meant something else: the test proved nothing.
    if (errors.length > 0) throw new Error(`Spot's script failed: ${errors.map(String).join("; ")}`);
  });
  const local = testStackPerTest();
  return {
    async start(spotOptions: ScriptedSpotOptions, options: LocalStackOptions = {}) {
      spot = await startScriptedSpot(spotOptions);
      const stack = await local.start({
        ...options,
        handler: { spotBaseUrl: spot.url, spotToken: spot.token, ...options.handler },
      });
      return { stack, spot };
    },
    get logs() {
      return local.logs;
    },
  };
}

export interface EndState {
  /** Whether the source queue emptied (every message applied, superseded or dead-lettered) in time. */
  drained: boolean;
  /** What Spot holds, per order asked about. */
  held: Record<string, unknown>;
  /** What the DLQ holds, sorted by order: each message's order and the failure its attributes carry. */
  deadLetters: DeadLetterSummary[];
}

export interface DeadLetterSummary {
  publicId: string | undefined;
  /** "none": no failure attributes, as when SQS's redrive moved it. */
  reasonClass: string;
  status?: number;
  attempts?: number;
}

/** Waits (up to `timeoutMs`) for the source queue to drain and for Spot's scripts to end, then reads the end state. */
export async function endState(
  stack: LocalStack,
  spot: ScriptedSpot,
  publicIds: string[],
  timeoutMs = 20_000,
): Promise<EndState> {
  const drained = await stack.waitUntilDrained({ timeoutMs }).then(
    () => true,
    () => false,
  );
  await spot.settled();
  return {
    drained,
    held: Object.fromEntries(publicIds.map((id) => [id, spot.metadataOf(id)])),
    deadLetters: await deadLetterSummaries(stack.sqs, stack.queues.dlqUrl),
  };
}

export async function deadLetterSummaries(sqs: SQSClient, dlqUrl: string): Promise<DeadLetterSummary[]> {
  const messages = await drainQueue(sqs, dlqUrl);
  return messages
    .map(({ publicId, failure }) =>
      failure === undefined
        ? { publicId, reasonClass: "none" }
        : { publicId, reasonClass: failure.reasonClass, status: failure.status, attempts: failure.attempts },
    )
    .sort((a, b) => String(a.publicId).localeCompare(String(b.publicId)));
}

/** The messages a queue holds: visible, in flight and delayed. */
export async function messageCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight, delayed } = await queueDepth(sqs, queueUrl);
  return visible + inFlight + delayed;
}

/** Sends updates as a producer would, with message attributes, and on a FIFO queue in the order's group. */
export async function sendWithAttributes(
  sqs: SQSClient,
  queueUrl: string,
  messages: Array<{ update: TestUpdate; attributes?: Record<string, string>; fifo?: boolean }>,
): Promise<void> {
  const result = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map(({ update, attributes = {}, fifo = false }, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(update),
        ...(Object.keys(attributes).length === 0 ? {} : { MessageAttributes: stringAttributes(attributes) }),
        ...(fifo
          ? { MessageGroupId: update.publicId, MessageDeduplicationId: `${update.publicId}-${index}` }
          : {}),
      })),
    }),
  );
  if ((result.Failed ?? []).length > 0) throw new Error(`send failed: ${JSON.stringify(result.Failed)}`);
}

function stringAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
  );
}
