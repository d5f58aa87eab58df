/**
 * Is this queue the DLQ of that one? Destructive commands ask before they touch a queue: the
 * source queue's RedrivePolicy must point at the DLQ's ARN. When SQS will not say (no permission,
 * no source queue named), the DLQ's name must at least end in `-dlq` / `-dlq.fifo`.
 */

import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { UnexpectedAnswerError } from "../../lambda/errors.ts";

export interface QueuePairCheck {
  ok: boolean;
  /** What was checked, and what was found, in words for the user. */
  detail: string;
}

/** The name in a queue URL (`…/123456789012/orders-dlq` → `orders-dlq`). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, "").split("/").pop() ?? queueUrl;
}

/** Whether the name looks like a DLQ of this stack's kind. */
function looksLikeDlqName(queueUrl: string): boolean {
  return /-dlq(\.fifo)?$/.test(queueNameOf(queueUrl));
}

/**
 * Checks that `dlqUrl` is the dead-letter queue of `sourceQueueUrl`.
 * Never throws: when SQS cannot answer, the name check decides and says so.
 */
export async function checkQueuePair(
  sqs: SQSClient,
  queues: { sourceQueueUrl: string | undefined; dlqUrl: string },
): Promise<QueuePairCheck> {
  if (queues.sourceQueueUrl !== undefined) {
    try {
      const [policy, dlqArn] = await Promise.all([
        redrivePolicyOf(sqs, queues.sourceQueueUrl),
        queueArnOf(sqs, queues.dlqUrl),
      ]);
      if (policy === undefined) {
        return { ok: false, detail: `${queueNameOf(queues.sourceQueueUrl)} has no redrive policy` };
      }
      if (policy.deadLetterTargetArn === dlqArn) {
        return {
          ok: true,
          detail: `${queueNameOf(queues.sourceQueueUrl)}'s redrive policy points at ${queueNameOf(queues.dlqUrl)}`,
        };
      }
      return {
        ok: false,
        detail: `${queueNameOf(queues.sourceQueueUrl)}'s redrive policy points at ${policy.deadLetterTargetArn}, not at ${dlqArn}`,
      };
    } catch (error) {
      return nameCheck(queues.dlqUrl, `could not read the queues' attributes (${errorName(error)})`);
    }
  }
  return nameCheck(queues.dlqUrl, "no source queue named");
}

/**
 * The DLQ's URL from the source queue's redrive policy: same endpoint, the ARN's account and name.
 * @returns undefined when the source queue has no redrive policy
 * @throws the SDK's error when the source queue's attributes cannot be read
 */
export async function findDlqUrl(sqs: SQSClient, sourceQueueUrl: string): Promise<string | undefined> {
  const policy = await redrivePolicyOf(sqs, sourceQueueUrl);
  if (policy === undefined) return undefined;
  const [, , , , account, name] = policy.deadLetterTargetArn.split(":");
  if (account === undefined || name === undefined) return undefined;
  return `${new URL(sourceQueueUrl).origin}/${account}/${name}`;
}

/**
 * A queue's ARN.
 * @throws the SDK's error when the attributes cannot be read
 */
export async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  if (Attributes.QueueArn === undefined)
    throw new UnexpectedAnswerError(`SQS gave no QueueArn for ${queueUrl}`);
  return Attributes.QueueArn;
}

async function redrivePolicyOf(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ deadLetterTargetArn: string } | undefined> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy"] }),
  );
  if (Attributes.RedrivePolicy === undefined) return undefined;
  const policy = JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: unknown };
  return typeof policy.deadLetterTargetArn === "string"
    ? { deadLetterTargetArn: policy.deadLetterTargetArn }
    : undefined;
}

function nameCheck(dlqUrl: string, why: string): QueuePairCheck {
  const name = queueNameOf(dlqUrl);
  return looksLikeDlqName(dlqUrl)
    ? { ok: true, detail: `${why}; the name ${name} ends in -dlq` }
    : { ok: false, detail: `${why}, and the name ${name} does not end in -dlq / -dlq.fifo` };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}
