/** Putting updates on a queue and reading a queue back, over the real SQS protocol. */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type Failure, readFailure } from "../../lib/lambda/sqs/failure-attributes.ts";

export interface TestUpdate {
  publicId: string;
  metadata: Record<string, unknown>;
  issuedAt?: string;
}

/** A body per update; strings are sent as they are (for invalid bodies). */
export async function sendBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: Array<TestUpdate | string>,
): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, index) => ({
          Id: String(index),
          MessageBody: typeof body === "string" ? body : JSON.stringify(body),
        })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`send failed: ${JSON.stringify(result.Failed)}`);
  }
}

export interface DeadLetter {
  body: string;
  publicId: string | undefined;
  failure: Failure | undefined;
  attributes: Message["MessageAttributes"];
}

/**
 * Receives every message of a queue, with all attributes; they stay invisible for ten minutes, so
 * none comes twice. `consume` deletes each as it comes: a FIFO group then unlocks for its next message.
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: { consume?: boolean } = {},
): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages);
    if (options.consume) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }
}

/** Reads every message of a queue (a DLQ, usually) with its failure. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<DeadLetter[]> {
  return (await receiveAll(sqs, queueUrl)).map((message) => {
    const body = message.Body ?? "";
    return {
      body,
      publicId: publicIdOf(body),
      failure: readFailure(message.MessageAttributes),
      attributes: message.MessageAttributes,
    };
  });
}

function publicIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { publicId?: unknown }).publicId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export function orderId(n: number): string {
  return `O${String(n).padStart(7, "0")}`;
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
