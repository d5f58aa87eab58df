/**
 * The poller's batching window on a real queue (fauxqs): it gathers what arrives within the window,
 * without a receive every few milliseconds while nothing does (SQS bills each receive).
 */
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { QueuePoller } from "../../lib/tools/poller.ts";

let sqs: EmbeddedSqs | undefined;
let poller: QueuePoller | undefined;
afterEach(async () => {
  await poller?.stop();
  await sqs?.stop();
  poller = sqs = undefined;
});

/**
 * A poller on the queue with a `windowMs` window; `counter` counts its receives (a test may reset
 * it), and each batch notes the count when it was handed over.
 */
async function pollerOnQueue(windowMs: number) {
  sqs = await startEmbeddedSqs();
  const client = sqs.client();
  const counter = { receives: 0 };
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === ReceiveMessageCommand.name) counter.receives += 1;
      return next(args);
    },
    { step: "initialize" },
  );
  const batches: { size: number; receivesBefore: number }[] = [];
  poller = new QueuePoller({
    sqs: client,
    queueUrl: sqs.queueUrl,
    queueArn: sqs.queueArn,
    region: sqs.region,
    batchingWindowMs: windowMs,
    abortPollsOnStop: true,
    handler: async (event: SQSEvent) => {
      batches.push({ size: event.Records.length, receivesBefore: counter.receives });
      return { batchItemFailures: [] };
    },
  });
  return { client, queueUrl: sqs.queueUrl, batches, counter, poller: poller.start() };
}

describe("QueuePoller's batching window", () => {
  it("waits out a 1-s window for a lone message with a few receives, not one every 20 ms", async () => {
    // Prepare
    const { client, queueUrl, batches, counter } = await pollerOnQueue(1_000);

    // Act: the long polls of the idle queue before it are not counted
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{}" }));
    counter.receives = 0;
    await expect.poll(() => batches.length, { timeout: 30_000, interval: 50 }).toBe(1);

    // Assess: a long poll, then short polls 20, 40, 80… ms apart: ~7 (at 20 ms apart: ~46)
    expect(batches[0]?.size).toBe(1);
    expect(batches[0]?.receivesBefore).toBeLessThanOrEqual(10);
  });

  it("gathers the messages that arrive one by one within the window into one batch", async () => {
    // Prepare
    const { client, queueUrl, batches } = await pollerOnQueue(2_000);

    // Act: five messages, each sent on its own, all within the first moments of the window
    for (let n = 0; n < 5; n += 1) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"n":${n}}` }));
    }
    await expect.poll(() => batches.length, { timeout: 30_000, interval: 50 }).toBe(1);

    // Assess
    expect(batches[0]?.size).toBe(5);
  });
});
