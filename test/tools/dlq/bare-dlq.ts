/**
 * A DLQ filled directly, without the handler or Spot (fast enough to build once per property run),
 * behind the test proxy so that any SQS call can be made to fail, and read back through fauxqs's
 * own inspection endpoint, which neither receives nor hides anything.
 */
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { failureAttributes, type ReasonClass } from "../../../lib/lambda/sqs/failure-attributes.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../../lib/local/embedded-sqs.ts";
import { queueNameOf } from "../../../lib/tools/dlq/queue-pair.ts";
import { type InjectedFault, type SqsProxy, startSqsProxy } from "../../support/sqs-proxy.ts";

export interface SeededMessage {
  publicId: string;
  status: number;
  reasonClass: ReasonClass;
  issuedAt: string;
}

interface QueueSnapshot {
  /** messageId → issuedAt (unique per seeded message, kept by a replay) of every message, visible or not. */
  issuedAt: Map<string, string>;
  /** How long each invisible message stays hidden from now, in ms. */
  hiddenForMs: number[];
}

export interface BareDlq {
  sqs: EmbeddedSqs;
  proxy: SqsProxy;
  /** Decides per call which fails; set by the test, consulted by the proxy. */
  fault: ((action: string, call: number) => InjectedFault | undefined) | undefined;
  /** Decides per call which is held unanswered (until `stop`); set by the test. */
  hold: ((action: string, call: number) => boolean) | undefined;
  /** What the DLQ held once filled: messageId → the message. */
  seeded: Map<string, SeededMessage>;
  /** `--queue-url … --dlq-url … --endpoint-url <proxy>` for the CLI. */
  targetFlags: string[];
  dlq(): Promise<QueueSnapshot>;
  source(): Promise<QueueSnapshot>;
  stop(): Promise<void>;
}

const STATUSES: Array<[number, ReasonClass]> = [
  [404, "permanent"],
  [400, "permanent"],
  [503, "exhausted"],
];

/** The n-th message of a bare DLQ: for order `publicId`, statuses 404, 400, 503 in turn. */
function seededMessage(n: number, publicId: string): SeededMessage {
  const [status, reasonClass] = STATUSES[n % STATUSES.length] ?? [404, "permanent"];
  return {
    publicId,
    status,
    reasonClass,
    issuedAt: new Date(Date.UTC(2026, 10, 27, 10, 0, n)).toISOString(),
  };
}

/**
 * Starts fauxqs with an empty source queue and a DLQ holding `count` messages, and the proxy.
 * In a FIFO pair a message's group is its order, as the handler dead-letters it.
 * @param options.publicIdOf the order of message n @default P<n>, one message per order
 */
export async function startBareDlq(options: {
  count: number;
  publicIdOf?: (n: number) => string;
  fifo?: boolean;
}): Promise<BareDlq> {
  const sqs = await startEmbeddedSqs({ fifo: options.fifo ?? false });
  const bare: BareDlq = {
    sqs,
    proxy: await startSqsProxy(sqs.endpoint, {
      failCall: (action, call) => bare.fault?.(action, call),
      holdCall: (action, call) => bare.hold?.(action, call) ?? false,
    }),
    fault: undefined,
    hold: undefined,
    seeded: new Map(),
    targetFlags: [],
    dlq: () => snapshot(sqs, sqs.dlqUrl),
    source: () => snapshot(sqs, sqs.queueUrl),
    stop: async () => {
      await bare.proxy.stop();
      await sqs.stop();
    },
  };
  bare.targetFlags = [
    "--queue-url",
    sqs.queueUrl,
    "--dlq-url",
    sqs.dlqUrl,
    "--endpoint-url",
    bare.proxy.endpoint,
  ];
  const publicIdOf = options.publicIdOf ?? ((n: number) => `P${n}`);
  const messages = Array.from({ length: options.count }, (_, n) => seededMessage(n, publicIdOf(n)));
  const client = sqs.client();
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.dlqUrl,
        Entries: chunk.map((message, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify({
            publicId: message.publicId,
            metadata: { secret: `value-${i + j}` },
            issuedAt: message.issuedAt,
          }),
          MessageAttributes: failureAttributes({
            reasonClass: message.reasonClass,
            reason: `Spot answered ${message.status}`,
            status: message.status,
            details: [],
            attempts: 1,
            firstFailureAt: new Date(message.issuedAt),
            lastFailureAt: new Date(message.issuedAt),
          }),
          ...(options.fifo ? { MessageGroupId: message.publicId, MessageDeduplicationId: `d${i + j}` } : {}),
        })),
      }),
    );
    for (const [j, entry] of (result.Successful ?? []).entries()) {
      const message = chunk[Number(entry.Id ?? j)];
      if (message !== undefined && entry.MessageId !== undefined) bare.seeded.set(entry.MessageId, message);
    }
  }
  client.destroy();
  if (bare.seeded.size !== messages.length) throw new Error("the bare DLQ could not be filled");
  return bare;
}

interface InspectedMessage {
  messageId: string;
  body: string;
}

/** Every message of a queue as fauxqs holds it, without receiving any. */
async function snapshot(sqs: EmbeddedSqs, queueUrl: string): Promise<QueueSnapshot> {
  const response = await fetch(`${sqs.endpoint}/_fauxqs/queues/${encodeURIComponent(queueNameOf(queueUrl))}`);
  const { messages } = (await response.json()) as {
    messages: {
      ready: InspectedMessage[];
      delayed: InspectedMessage[];
      inflight: Array<{ message: InspectedMessage; visibilityDeadline: number }>;
    };
  };
  const now = Date.now();
  // An in-flight message whose deadline has passed is visible: fauxqs moves it back on its next look.
  const hidden = messages.inflight.filter((entry) => entry.visibilityDeadline > now);
  const all = [...messages.ready, ...messages.delayed, ...messages.inflight.map((entry) => entry.message)];
  return {
    issuedAt: new Map(all.map((message) => [message.messageId, JSON.parse(message.body).issuedAt as string])),
    hiddenForMs: hidden.map((entry) => entry.visibilityDeadline - now),
  };
}
