/**
 * Records the AWS API calls code makes, as the IAM actions that authorize them: every SQS and
 * DynamoDB client in the process, those a command creates for itself included, gets an SDK
 * middleware on its first call that notes each call's command and the resource it names. A call the
 * local server cannot take (fauxqs has no message move tasks) can be answered by the middleware
 * instead; it is recorded all the same.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";

export interface AwsCall {
  /** The IAM action that authorizes the call, e.g. `sqs:SendMessage` for a SendMessageBatch. */
  action: string;
  /** What the call names: a queue's URL or ARN, a table's name, or a move task's handle. */
  resource: string;
}

/** A canned answer to a command, by its input. */
export type StandIn = (input: Record<string, unknown>) => Record<string, unknown>;

/** SQS's batch calls are authorized by the action of the single call. */
const BATCH_ACTIONS: Record<string, string> = {
  "sqs:SendMessageBatch": "sqs:SendMessage",
  "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
};

/** Input fields that name the resource a call acts on, in the order they are looked for. */
const RESOURCE_FIELDS = ["QueueUrl", "SourceArn", "TableName", "TaskHandle"];

/** `("sqs", "SendMessageBatchCommand")` → `sqs:SendMessage`. */
function iamAction(service: string, commandName: string): string {
  const action = `${service}:${commandName.replace(/Command$/, "")}`;
  return BATCH_ACTIONS[action] ?? action;
}

type Handler = (args: { input: object }) => Promise<unknown>;
/** The part of an SDK client this needs; both clients have it, with their own type parameters. */
interface Instrumentable {
  middlewareStack: {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: "initialize"; name: string },
    ): void;
  };
}

const CLIENTS = [
  { prototype: SQSClient.prototype, service: "sqs" },
  { prototype: DynamoDBClient.prototype, service: "dynamodb" },
];

interface Recording {
  calls: AwsCall[];
  standIns: Record<string, StandIn>;
}

/** The recording under way; a client keeps its middleware after one, and then just passes calls on. */
let current: Recording | undefined;
const instrumented = new WeakSet<object>();

function instrument(client: Instrumentable, service: string): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (current === undefined) return next(args);
      const commandName = context.commandName ?? "UnknownCommand";
      const input = args.input as Record<string, unknown>;
      current.calls.push({ action: iamAction(service, commandName), resource: resourceOf(input) });
      const standIn = current.standIns[commandName];
      return standIn === undefined ? next(args) : { output: { $metadata: {}, ...standIn(input) } };
    },
    { step: "initialize", name: "recordAwsCall" },
  );
}

/**
 * Runs `act` and returns the calls made meanwhile, in order. Recordings do not nest.
 * @param standIns answers by command name (e.g. `StartMessageMoveTaskCommand`) for calls the
 *   server must not see
 */
export async function recordAwsCalls(
  act: () => Promise<unknown>,
  standIns: Record<string, StandIn> = {},
): Promise<AwsCall[]> {
  if (current !== undefined) throw new Error("recordAwsCalls: a recording is already under way");
  const recording: Recording = { calls: [], standIns };
  current = recording;
  // Clients are created inside the commands, so the hook is on their classes' `send`.
  const restores = CLIENTS.map(({ prototype, service }) => {
    const owned = Object.getOwnPropertyDescriptor(prototype, "send");
    const target = prototype as unknown as { send: (...args: unknown[]) => unknown };
    const send = target.send;
    target.send = function (this: object, ...args: unknown[]) {
      if (!instrumented.has(this)) {
        instrumented.add(this);
        instrument(this as Instrumentable, service);
      }
      return send.apply(this, args);
    };
    return () => {
      if (owned === undefined) delete (target as { send?: unknown }).send;
      else Object.defineProperty(prototype, "send", owned);
    };
  });
  try {
    await act();
  } finally {
    current = undefined;
    for (const restore of restores) restore();
  }
  return recording.calls;
}

function resourceOf(input: Record<string, unknown>): string {
  for (const field of RESOURCE_FIELDS) {
    const value = input[field];
    if (typeof value === "string") return value;
  }
  // A batch read names its tables as the keys of its request.
  const tables = input.RequestItems;
  if (tables !== null && typeof tables === "object") return Object.keys(tables)[0] ?? "(no resource)";
  return "(no resource)";
}
