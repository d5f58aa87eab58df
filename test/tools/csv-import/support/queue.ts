/** Reads back what reached a queue, without deleting it (each message is received once). */
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { parseUpdate, type UpdateMessage } from "../../../../lib/lambda/contract.ts";
import { receiveAll } from "../../../support/queues.ts";

export interface ReceivedUpdate {
  update: UpdateMessage;
  source: string | undefined;
  groupId: string | undefined;
  deduplicationId: string | undefined;
}

/** Every message on the queue, as the update it carries (`consume`: deleted as read, so FIFO groups unlock). */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { consume?: boolean } = {},
): Promise<ReceivedUpdate[]> {
  return (await receiveAll(sqs, queueUrl, options)).map(toReceived);
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
