/**
 * Replay into a FIFO source queue: each message goes back in its order's message group, with a
 * deduplication id of its own replay, so a replay repeated after dying between send and delete
 * does not put the same message on the queue twice.
 */
import { type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import { type DeadLetteredStack, startDeadLetteredStack } from "./fixture.ts";
import { dlqContents } from "./support.ts";

let fixture: DeadLetteredStack;

beforeAll(async () => {
  fixture = await startDeadLetteredStack({ fifo: true });
  await fixture.stack.eventSource.stop();
  // Let a long poll the stop cut off lapse in fauxqs (see replay-safety.test.ts).
  await new Promise((resolve) => setTimeout(resolve, 1_200));
}, 60_000);
afterAll(() => fixture?.stack.stop());

it("sends back in the order's group, and a repeated replay is deduplicated by SQS", async () => {
  // Prepare
  const { sqs, queues } = fixture.stack;
  const options = {
    sqs,
    dlqUrl: queues.dlqUrl,
    sourceQueueUrl: queues.queueUrl,
    filter: { publicIds: ["Z404A"] },
    waitTimeSeconds: 0,
  };
  // Act
  const interrupted = await replayMessages({
    ...options,
    beforeDelete: () => {
      throw new Error("the process died here");
    },
  });
  const repeated = await replayMessages(options);
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queues.queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
    }),
  );
  // Assess
  expect(interrupted.sentNotDeleted.map((r) => r.publicId)).toStrictEqual(["Z404A"]);
  expect(repeated.replayed.map((r) => r.publicId)).toStrictEqual(["Z404A"]);
  expect(
    Messages.map((m: Message) => [JSON.parse(m.Body ?? "{}").publicId, m.Attributes?.MessageGroupId]),
  ).toStrictEqual([["Z404A", "Z404A"]]);
  expect(Messages[0]?.Attributes?.MessageDeduplicationId).toBe(
    `${interrupted.sentNotDeleted[0]?.messageId}-r1`,
  );
  expect(await dlqContents(fixture.stack)).not.toContain("Z404A");
});
