/**
 * The on-call engineer of an adversarial run: replays the DLQ while the storm still blows (with
 * `spot-meta dlq replay`'s code), and once Spot is healthy, puts back every letter that could still
 * succeed until none is left. That last round reads the whole DLQ, as `dlq export` then `purge` and a
 * replay would: the replay alone leaves a FIFO group locked behind a letter it does not take (an
 * invalid or refused update of the same order, docs/on-call.md), and skips an older letter behind a
 * newer one of the same order that Spot may yet refuse.
 */
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { ReasonClass, readFailure } from "../../lib/lambda/sqs/failure-attributes.ts";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import {
  type DlqMessage,
  replayAttributes,
  toDlqMessage,
  UNCLASSIFIED,
} from "../../lib/tools/dlq/dlq-message.ts";
import { replayMessages } from "../../lib/tools/dlq/replay.ts";
import { receiveAll } from "../../test/support/queues.ts";
import type { Letter, Observed } from "./adversary-judge.ts";

/** Rounds of the last replay: each puts back what the one before dead-lettered again. */
const SETTLING_ROUNDS = 4;
const DRAIN_TIMEOUT_MS = 60_000;

/** `dlq replay --reason-class exhausted,unclassified`, recording what it took out of the DLQ. */
export async function replayDuringStorm(stack: LocalStack, observed: Observed): Promise<void> {
  await replayMessages({
    sqs: stack.sqs,
    dlqUrl: stack.queues.dlqUrl,
    sourceQueueUrl: stack.queues.queueUrl,
    filter: { reasonClasses: [ReasonClass.exhausted, UNCLASSIFIED] },
    ratePerSecond: 500,
    waitTimeSeconds: 0,
    beforeDelete: (messages) => {
      observed.replayed.push(...messages.map(letterOf));
    },
  });
}

/**
 * Once Spot is healthy: every letter that could succeed goes back to the source queue, round after
 * round until none comes back. Each round starts once the invocations still running are `quiet`.
 * @returns the letters that cannot succeed, taken out of the DLQ
 */
export async function replayUntilSettled(
  stack: LocalStack,
  observed: Observed,
  quiet: () => Promise<void>,
): Promise<Letter[]> {
  const kept: Letter[] = [];
  for (let round = 0; round < SETTLING_ROUNDS; round++) {
    await quiet();
    await stack.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
    const messages = (await receiveAll(stack.sqs, stack.queues.dlqUrl, { consume: true })).map(toDlqMessage);
    const replayable = messages.filter(
      (m) => m.reasonClass === ReasonClass.exhausted || m.reasonClass === UNCLASSIFIED,
    );
    kept.push(...messages.filter((m) => !replayable.includes(m)).map(letterOf));
    if (replayable.length === 0) break;
    observed.replayed.push(...replayable.map(letterOf));
    await sendBack(stack, replayable, round);
    await stack.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
  }
  return kept;
}

/** Every letter of the DLQ, deleted as read so that a FIFO DLQ hands out each group's next one. */
export async function readDlq(stack: LocalStack): Promise<Letter[]> {
  const messages = await receiveAll(stack.sqs, stack.queues.dlqUrl, { consume: true });
  return messages.map((message) => ({
    body: message.Body ?? "",
    failure: readFailure(message.MessageAttributes),
  }));
}

/** As a replay sends them: the replay's body and attributes; on FIFO, in the order's group. */
async function sendBack(stack: LocalStack, messages: DlqMessage[], round: number): Promise<void> {
  const fifo = stack.queues.queueUrl.endsWith(".fifo");
  for (let start = 0; start < messages.length; start += 10) {
    const result = await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queues.queueUrl,
        Entries: messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          MessageBody: message.replayBody,
          MessageAttributes: replayAttributes(message),
          ...(fifo
            ? {
                MessageGroupId: message.publicId ?? message.messageGroupId ?? message.messageId,
                MessageDeduplicationId: `${message.messageId}-settle${round}`,
              }
            : {}),
        })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`replay failed: ${JSON.stringify(result.Failed)}`);
  }
}

function letterOf(message: DlqMessage): Letter {
  return { body: message.body, failure: message.failure };
}
