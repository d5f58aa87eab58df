/**
 * Which DLQ (and source queue) a `spot-meta dlq …` command works on, and the check that a
 * destructive one is pointed at this stack's DLQ. The queues are found as for `spot-meta import`
 * (lib/cli/target.ts); the DLQ's URL from `--dlq-url`, the environment, the outputs file, the dev
 * stack, or else the source queue's redrive policy. A DLQ URL alone is enough for the read-only
 * commands.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { isLoopbackUrl } from "../lambda/loopback.ts";
import { DlqNotFoundError, NotOurDlqError } from "../tools/dlq/errors.ts";
import { checkQueuePair, findDlqUrl, queueNameOf } from "../tools/dlq/queue-pair.ts";
import { sqsClientFor } from "./sqs-client.ts";
import { type QueueTarget, resolveTarget, TargetNotFoundError } from "./target.ts";

export interface DlqTargetFlags {
  queueUrl?: string;
  dlqUrl?: string;
  endpointUrl?: string;
  region?: string;
  outputs?: string;
}

export interface DlqTarget {
  sqs: SQSClient;
  dlqUrl: string;
  /** Undefined when only `--dlq-url` was given. */
  sourceQueueUrl: string | undefined;
  /** Where the queues came from, for the "about to" line. */
  origin: string;
}

/**
 * Resolves the DLQ, and the source queue when one is named.
 * @throws TargetNotFoundError when no queue is named (or `needsSource` and only a DLQ is)
 * @throws DlqNotFoundError when the DLQ is not named and the source queue has no redrive policy
 */
export async function resolveDlqTarget(
  flags: DlqTargetFlags,
  options: { needsSource: boolean; env?: Record<string, string | undefined>; devStateFile?: string },
): Promise<DlqTarget> {
  let target: QueueTarget;
  try {
    target = resolveTarget({ ...flags, env: options.env, devStateFile: options.devStateFile });
  } catch (error) {
    if (!(error instanceof TargetNotFoundError) || flags.dlqUrl === undefined || options.needsSource)
      throw error;
    // Only the DLQ is named: enough to read it. The client is built as for a queue at that URL.
    const endpoint = flags.endpointUrl ?? (options.env ?? process.env).AWS_ENDPOINT_URL_SQS;
    const sqs = sqsClientFor({
      queueUrl: flags.dlqUrl,
      dlqUrl: flags.dlqUrl,
      endpoint,
      region: flags.region,
      origin: "--queue-url",
      localCredentials: endpoint !== undefined && isLoopbackUrl(endpoint),
    });
    return { sqs, dlqUrl: flags.dlqUrl, sourceQueueUrl: undefined, origin: "--dlq-url" };
  }
  const sqs = sqsClientFor(target);
  const dlqUrl = target.dlqUrl ?? (await findDlqUrl(sqs, target.queueUrl));
  if (dlqUrl === undefined) {
    sqs.destroy();
    throw new DlqNotFoundError(
      `${queueNameOf(target.queueUrl)} has no redrive policy, so its DLQ is unknown: pass --dlq-url`,
    );
  }
  return { sqs, dlqUrl, sourceQueueUrl: target.queueUrl, origin: target.origin };
}

/**
 * Refuses a destructive command on a queue that is not this stack's DLQ, unless forced.
 * @returns what was checked, in words
 * @throws NotOurDlqError when the check fails and `force` is not set
 */
export async function guardDestructive(target: DlqTarget, force: boolean): Promise<string> {
  if (force) return "not checked (--force)";
  const check = await checkQueuePair(target.sqs, {
    sourceQueueUrl: target.sourceQueueUrl,
    dlqUrl: target.dlqUrl,
  });
  if (!check.ok) {
    throw new NotOurDlqError(
      `refusing: ${queueNameOf(target.dlqUrl)} does not look like this stack's DLQ (${check.detail}); pass --force if you are sure`,
    );
  }
  return check.detail;
}
