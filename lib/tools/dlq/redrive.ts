/**
 * `dlq redrive`: the bulk path, SQS's own message move task (DLQ → source queue, server side, at a
 * bounded velocity). It moves everything, unfiltered, with the failure attributes still on: no
 * superseded check, no skipping of invalid messages. `dlq replay` is the careful path.
 */
import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { DlqArgumentError, MoveTasksUnsupportedError } from "./errors.ts";
import { queueArnOf } from "./queue-pair.ts";

/** SQS's ceiling on a move task's MaxNumberOfMessagesPerSecond. */
export const MAX_VELOCITY = 500;

export interface MoveTask {
  taskHandle: string | undefined;
  status: string;
  sourceArn: string;
  destinationArn: string | undefined;
  moved: number;
  /** ApproximateNumberOfMessagesToMove, when SQS knows it. */
  toMove: number | undefined;
  maxPerSecond: number | undefined;
  startedAt: string | undefined;
  failureReason: string | undefined;
}

export interface RedriveQueues {
  sqs: SQSClient;
  dlqUrl: string;
  sourceQueueUrl: string;
}

/**
 * Starts a move task from the DLQ to the source queue, then reads its progress back.
 * @param velocity messages per second (SQS's MaxNumberOfMessagesPerSecond, 1–500); undefined lets SQS choose
 * @throws DlqArgumentError when the velocity is outside 1–500 (before any call: SQS would refuse it)
 * @throws MoveTasksUnsupportedError when the server has no move tasks (the local stack's fauxqs)
 */
export async function startRedrive(
  queues: RedriveQueues,
  velocity: number | undefined,
): Promise<{ taskHandle: string | undefined; tasks: MoveTask[] }> {
  if (velocity !== undefined && !(Number.isInteger(velocity) && velocity >= 1 && velocity <= MAX_VELOCITY)) {
    throw new DlqArgumentError(`velocity ${velocity}: SQS moves 1 to ${MAX_VELOCITY} messages per second`);
  }
  const [dlqArn, sourceArn] = await Promise.all([
    queueArnOf(queues.sqs, queues.dlqUrl),
    queueArnOf(queues.sqs, queues.sourceQueueUrl),
  ]);
  const started = await moveTaskCall(() =>
    queues.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlqArn,
        DestinationArn: sourceArn,
        ...(velocity === undefined ? {} : { MaxNumberOfMessagesPerSecond: velocity }),
      }),
    ),
  );
  return { taskHandle: started.TaskHandle, tasks: await listTasks(queues.sqs, dlqArn) };
}

/**
 * The DLQ's recent move tasks (SQS keeps the last ten), newest first.
 * @throws MoveTasksUnsupportedError when the server has no move tasks
 */
export async function listRedrives(queues: Pick<RedriveQueues, "sqs" | "dlqUrl">): Promise<MoveTask[]> {
  return listTasks(queues.sqs, await queueArnOf(queues.sqs, queues.dlqUrl));
}

/**
 * Cancels the DLQ's running move task; messages already moved stay moved.
 * @returns the cancelled task, or undefined when none was running
 * @throws MoveTasksUnsupportedError when the server has no move tasks
 */
export async function cancelRedrive(
  queues: Pick<RedriveQueues, "sqs" | "dlqUrl">,
): Promise<{ cancelled: MoveTask | undefined; moved: number | undefined }> {
  const tasks = await listRedrives(queues);
  const running = tasks.find((task) => task.status === "RUNNING" && task.taskHandle !== undefined);
  if (running === undefined) return { cancelled: undefined, moved: undefined };
  const result = await moveTaskCall(() =>
    queues.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: running.taskHandle })),
  );
  return { cancelled: running, moved: result.ApproximateNumberOfMessagesMoved };
}

async function listTasks(sqs: SQSClient, dlqArn: string): Promise<MoveTask[]> {
  const { Results = [] } = await moveTaskCall(() =>
    sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 })),
  );
  return Results.map(toMoveTask);
}

function toMoveTask(entry: ListMessageMoveTasksResultEntry): MoveTask {
  return {
    taskHandle: entry.TaskHandle,
    status: entry.Status ?? "UNKNOWN",
    sourceArn: entry.SourceArn ?? "",
    destinationArn: entry.DestinationArn,
    moved: entry.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: entry.ApproximateNumberOfMessagesToMove,
    maxPerSecond: entry.MaxNumberOfMessagesPerSecond,
    startedAt:
      entry.StartedTimestamp === undefined ? undefined : new Date(entry.StartedTimestamp).toISOString(),
    failureReason: entry.FailureReason,
  };
}

/** Turns "this server does not know the operation" into one error the CLI can explain plainly. */
async function moveTaskCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnknownOperation(error)) {
      throw new MoveTasksUnsupportedError(
        "this SQS server does not implement message move tasks (the local stack's fauxqs 2.4.1 does not): use `spot-meta dlq replay` instead",
      );
    }
    throw error;
  }
}

function isUnknownOperation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    ["InvalidAction", "UnknownOperationException", "UnsupportedOperation", "NotImplemented"].includes(
      error.name,
    ) || /unknown (action|operation)/i.test(error.message)
  );
}
