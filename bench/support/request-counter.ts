/**
 * Counts the AWS requests an SDK client makes, by command, with a middleware in the client's stack:
 * what AWS would bill, measured on the real calls instead of assumed. It sits below the SDK's retry
 * step, so every attempt that reached the server counts (AWS bills them alike), failed ones included
 * (DynamoDB bills a failed conditional write as a write).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { sqsBilledRequests } from "./cost-model.ts";

/** Calls of one command, and what they weigh in billed units (see {@link RequestCounter}). */
export interface CommandCount {
  calls: number;
  /** Calls that failed (a service error, e.g. a condition that did not hold). */
  failed: number;
  /** SQS: calls that returned no message (empty receives). */
  empty: number;
  /** Billed units: SQS requests (64 KB chunks of payload), or 1 per call when the weigher says nothing. */
  units: number;
}

/** Weighs one call in billed units from its input and output (output undefined when it failed). */
export type Weigher = (command: string, input: unknown, output: unknown) => number;

export class RequestCounter {
  readonly byCommand = new Map<string, CommandCount>();
  /** Off while work that is not the pipeline's runs on the same client (setup, inspection). */
  enabled = true;
  readonly #weigh: Weigher;

  constructor(weigh: Weigher = () => 1) {
    this.#weigh = weigh;
  }

  /** Adds the counting middleware to a client; returns the client. */
  attach<C extends SQSClient | DynamoDBClient>(client: C): C {
    // The stack's types differ per client; the middleware itself is the same for both.
    (client.middlewareStack as SQSClient["middlewareStack"]).add(
      (next, context) => async (args) => {
        const command = context.commandName ?? "unknown";
        try {
          const result = await next(args);
          this.#record(command, args.input, result.output, false);
          return result;
        } catch (error) {
          this.#record(command, args.input, undefined, true);
          throw error;
        }
      },
      // In the deserialize step, high priority: around the deserializer, once per attempt.
      { step: "deserialize", priority: "high", name: "benchRequestCounter" },
    );
    return client;
  }

  /** Sum of one field over the commands named (all when none). */
  total(field: keyof CommandCount, commands?: string[]): number {
    let sum = 0;
    for (const [command, count] of this.byCommand) {
      if (commands === undefined || commands.includes(command)) sum += count[field];
    }
    return sum;
  }

  #record(command: string, input: unknown, output: unknown, failed: boolean): void {
    if (!this.enabled) return;
    const count = this.byCommand.get(command) ?? { calls: 0, failed: 0, empty: 0, units: 0 };
    count.calls += 1;
    if (failed) count.failed += 1;
    const messages = (output as { Messages?: unknown[] } | undefined)?.Messages;
    if (command === "ReceiveMessageCommand" && !failed && (messages?.length ?? 0) === 0) count.empty += 1;
    count.units += this.#weigh(command, input, output);
    this.byCommand.set(command, count);
  }
}

interface SqsAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}
interface SqsPayload {
  MessageBody?: string;
  Body?: string;
  MessageAttributes?: Record<string, SqsAttribute>;
}

/**
 * Weighs SQS calls as SQS bills them: a call that carries messages (a send, a receive) is one request
 * per 64 KB of their bodies and attributes together; any other call is one.
 */
export const sqsWeigher: Weigher = (command, input, output) => {
  const payloads: SqsPayload[] | undefined =
    command === "SendMessageCommand"
      ? [input as SqsPayload]
      : command === "SendMessageBatchCommand"
        ? (input as { Entries?: SqsPayload[] }).Entries
        : command === "ReceiveMessageCommand"
          ? (output as { Messages?: SqsPayload[] } | undefined)?.Messages
          : undefined;
  if (payloads === undefined) return 1;
  return sqsBilledRequests(payloads.reduce((sum, payload) => sum + payloadBytes(payload), 0));
};

function payloadBytes(payload: SqsPayload): number {
  let bytes = Buffer.byteLength(payload.MessageBody ?? payload.Body ?? "");
  for (const [name, attribute] of Object.entries(payload.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType ?? "");
    bytes += Buffer.byteLength(attribute.StringValue ?? "") + (attribute.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}
