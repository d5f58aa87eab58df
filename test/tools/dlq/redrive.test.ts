/**
 * `dlq redrive`: SQS's message move task. fauxqs 2.4.1 has none, so the requests are checked with a
 * recording client (the one stub in these tests), and against fauxqs only the plain "no move tasks"
 * answer is.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../../lib/local/embedded-sqs.ts";
import { MoveTasksUnsupportedError } from "../../../lib/tools/dlq/errors.ts";
import { cancelRedrive, listRedrives, startRedrive } from "../../../lib/tools/dlq/redrive.ts";
import { runDlq } from "./support.ts";

const DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq";
const SOURCE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders";
const DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq";
const SOURCE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders";

interface Recorded {
  command: string;
  input: unknown;
}

/** Records each command and answers with the canned reply for its name. */
function recordingClient(replies: Record<string, (input: Record<string, unknown>) => unknown>) {
  const sent: Recorded[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      sent.push({ command: command.constructor.name, input: command.input });
      const reply = replies[command.constructor.name];
      if (reply === undefined) throw new Error(`unexpected ${command.constructor.name}`);
      return reply(command.input);
    },
  };
  return { sqs: client as unknown as SQSClient, sent };
}

const arnOf = (input: Record<string, unknown>) => ({
  Attributes: { QueueArn: input.QueueUrl === DLQ_URL ? DLQ_ARN : SOURCE_ARN },
});
const runningTask = {
  TaskHandle: "handle-1",
  Status: "RUNNING",
  SourceArn: DLQ_ARN,
  DestinationArn: SOURCE_ARN,
  ApproximateNumberOfMessagesMoved: 40,
  ApproximateNumberOfMessagesToMove: 100,
  MaxNumberOfMessagesPerSecond: 25,
  StartedTimestamp: Date.parse("2026-11-27T10:00:00.000Z"),
};

describe("dlq redrive against SQS (recorded requests)", () => {
  it("starts a move task from the DLQ to the source queue at the velocity asked, then reads its progress", async () => {
    // Prepare
    const { sqs, sent } = recordingClient({
      GetQueueAttributesCommand: arnOf,
      StartMessageMoveTaskCommand: () => ({ TaskHandle: "handle-1" }),
      ListMessageMoveTasksCommand: () => ({ Results: [runningTask] }),
    });
    // Act
    const result = await startRedrive({ sqs, dlqUrl: DLQ_URL, sourceQueueUrl: SOURCE_URL }, 25);
    // Assess
    expect(sent).toStrictEqual([
      { command: "GetQueueAttributesCommand", input: { QueueUrl: DLQ_URL, AttributeNames: ["QueueArn"] } },
      { command: "GetQueueAttributesCommand", input: { QueueUrl: SOURCE_URL, AttributeNames: ["QueueArn"] } },
      {
        command: "StartMessageMoveTaskCommand",
        input: { SourceArn: DLQ_ARN, DestinationArn: SOURCE_ARN, MaxNumberOfMessagesPerSecond: 25 },
      },
      { command: "ListMessageMoveTasksCommand", input: { SourceArn: DLQ_ARN, MaxResults: 10 } },
    ]);
    expect(result).toStrictEqual({
      taskHandle: "handle-1",
      tasks: [
        {
          taskHandle: "handle-1",
          status: "RUNNING",
          sourceArn: DLQ_ARN,
          destinationArn: SOURCE_ARN,
          moved: 40,
          toMove: 100,
          maxPerSecond: 25,
          startedAt: "2026-11-27T10:00:00.000Z",
          failureReason: undefined,
        },
      ],
    });
  });

  it("leaves the velocity to SQS when none is given", async () => {
    const { sqs, sent } = recordingClient({
      GetQueueAttributesCommand: arnOf,
      StartMessageMoveTaskCommand: () => ({ TaskHandle: "handle-2" }),
      ListMessageMoveTasksCommand: () => ({ Results: [] }),
    });

    await startRedrive({ sqs, dlqUrl: DLQ_URL, sourceQueueUrl: SOURCE_URL }, undefined);

    expect(sent.find((r) => r.command === "StartMessageMoveTaskCommand")?.input).toStrictEqual({
      SourceArn: DLQ_ARN,
      DestinationArn: SOURCE_ARN,
    });
  });

  it("cancels the running task by its handle, and does nothing when none runs", async () => {
    const running = recordingClient({
      GetQueueAttributesCommand: arnOf,
      ListMessageMoveTasksCommand: () => ({
        Results: [runningTask, { ...runningTask, TaskHandle: "old", Status: "COMPLETED" }],
      }),
      CancelMessageMoveTaskCommand: () => ({ ApproximateNumberOfMessagesMoved: 42 }),
    });
    const idle = recordingClient({
      GetQueueAttributesCommand: arnOf,
      ListMessageMoveTasksCommand: () => ({ Results: [{ ...runningTask, Status: "COMPLETED" }] }),
    });

    const cancelled = await cancelRedrive({ sqs: running.sqs, dlqUrl: DLQ_URL });
    const nothing = await cancelRedrive({ sqs: idle.sqs, dlqUrl: DLQ_URL });

    expect(running.sent).toStrictEqual([
      { command: "GetQueueAttributesCommand", input: { QueueUrl: DLQ_URL, AttributeNames: ["QueueArn"] } },
      { command: "ListMessageMoveTasksCommand", input: { SourceArn: DLQ_ARN, MaxResults: 10 } },
      { command: "CancelMessageMoveTaskCommand", input: { TaskHandle: "handle-1" } },
    ]);
    expect(cancelled.moved).toBe(42);
    expect(nothing).toStrictEqual({ cancelled: undefined, moved: undefined });
    expect(idle.sent.map((r) => r.command)).not.toContain("CancelMessageMoveTaskCommand");
  });

  it("lists the tasks for --status", async () => {
    const { sqs, sent } = recordingClient({
      GetQueueAttributesCommand: arnOf,
      ListMessageMoveTasksCommand: () => ({ Results: [runningTask] }),
    });

    const tasks = await listRedrives({ sqs, dlqUrl: DLQ_URL });

    expect(tasks.map((t) => [t.status, t.moved, t.toMove])).toStrictEqual([["RUNNING", 40, 100]]);
    expect(sent.map((r) => r.command)).toStrictEqual([
      "GetQueueAttributesCommand",
      "ListMessageMoveTasksCommand",
    ]);
  });
});

describe("dlq redrive against the local stack (fauxqs 2.4.1)", () => {
  let queues: EmbeddedSqs;
  beforeAll(async () => {
    queues = await startEmbeddedSqs();
  });
  afterAll(() => queues?.stop());

  it("says plainly that the server lacks move tasks and points to replay", async () => {
    const flags = [
      "--queue-url",
      queues.queueUrl,
      "--dlq-url",
      queues.dlqUrl,
      "--endpoint-url",
      queues.endpoint,
    ];

    const run = await runDlq(undefined, ["redrive", "--velocity", "10"], flags);
    const direct = startRedrive(
      { sqs: queues.client(), dlqUrl: queues.dlqUrl, sourceQueueUrl: queues.queueUrl },
      10,
    );

    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "spot-meta dlq redrive: spot-order-metadata-dlq's server has no message move tasks (the local stack's fauxqs 2.4.1 lacks them; AWS SQS has them).\n  use `spot-meta dlq replay` instead",
    );
    await expect(direct).rejects.toThrow(MoveTasksUnsupportedError);
  });
});
