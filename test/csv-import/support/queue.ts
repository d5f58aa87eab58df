/** Reads back what reached a queue, without deleting it (each message is received once). */
import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { parseUpdate, type UpdateMessage } from "../../../lib/contract.ts";

export interface ReceivedUpdate {
  update: UpdateMessage;
  source: string | undefined;
  groupId: string | undefined;
  deduplicationId: string | undefined;
}

/** Receives until the queue answers empty; messages stay in flight (a long visibility) so none comes twice. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<ReceivedUpdate[]> {
  const received: ReceivedUpdate[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages.map(toReceived));
  }
}

function toReceived(message: Message): ReceivedUpdate {
  const parsed = parseUpdate(message.Body ?? "");
  if (!parsed.ok) throw new Error(`a message on the queue breaks the contract: ${parsed.reason}`);
  return {
    update: parsed.message,
    source: message.MessageAttributes?.source?.StringValue,
    groupId: message.Attributes?.MessageGroupId,
    deduplicationId: message.Attributes?.MessageDeduplicationId,
  };
}
