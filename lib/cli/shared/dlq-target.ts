/**
 * Which DLQ (and source queue) a `spot-meta dlq …` command works on, and the check that a
 * destructive one is pointed at this stack's DLQ. The queues are found as for `spot-meta import`
 * (lib/cli/shared/target.ts); the DLQ's URL from `--dlq-url`, the environment, the outputs file, the dev
 * stack, or else the source queue's redrive policy. A DLQ URL alone is enough for the read-only
 * commands. The two queues are used together only when their URLs name one endpoint.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { SpotMetaError } from "../../lambda/errors.ts";
import { DlqNotFoundError, NotOurDlqError } from "../../tools/dlq/errors.ts";
import { checkQueuePair, findDlqUrl, queueNameOf } from "../../tools/dlq/queue-pair.ts";
import type { TargetFlags } from "./options.ts";
import { sameEndpoint } from "./queue-endpoint.ts";
import { sqsClientFor } from "./sqs-client.ts";
import {
  clientSettingsFor,
  namedDlq,
  type QueueTarget,
  resolveTarget,
  TARGET_ORIGINS,
  TargetNotFoundError,
} from "./target.ts";

/** The queue options of shared/options.ts. */
export type DlqTargetFlags = TargetFlags;

export interface DlqTarget {
  sqs: SQSClient;
  dlqUrl: string;
  /** Undefined when only the DLQ is used. */
  sourceQueueUrl: string | undefined;
  /** Where the source queue (or, alone, the DLQ) came from, for the "about to" line. */
  origin: string;
  /** Where the DLQ came from, when not from where the source queue did (or its redrive policy). */
  dlqOrigin: string | undefined;
}

/** Two queues named together whose URLs name two endpoints: one client cannot serve both. */
export class MixedEndpointsError extends SpotMetaError {
  override name = "MixedEndpointsError";
}

/**
 * Resolves the DLQ, and the source queue when one is named. A DLQ a person names wins over a
 * running dev stack: on another endpoint than the dev stack's, it is used alone when the command
 * needs no source queue, and refused with the dev stack's source queue when it does.
 * @throws TargetNotFoundError when no queue is named (or `needsSource` and only a DLQ is)
 * @throws MixedEndpointsError when the source queue and the DLQ are on two endpoints
 * @throws DlqNotFoundError when the DLQ is not named and the source queue has no redrive policy
 */
export async function resolveDlqTarget(
  flags: DlqTargetFlags,
  options: { needsSource: boolean; env?: Record<string, string | undefined>; devStateFile?: string },
): Promise<DlqTarget> {
  const env = options.env ?? process.env;
  const named = namedDlq(flags, env);
  let target: QueueTarget;
  try {
    target = resolveTarget({ ...flags, env, devStateFile: options.devStateFile });
  } catch (error) {
    if (!(error instanceof TargetNotFoundError) || named === undefined || options.needsSource) throw error;
    return dlqAlone(named, flags, env);
  }
  if (target.dlqUrl !== undefined && !sameEndpoint(target.dlqUrl, target.queueUrl)) {
    const devSetAside = target.origin === TARGET_ORIGINS.dev && named !== undefined;
    if (devSetAside && !options.needsSource) return dlqAlone(named, flags, env);
    throw new MixedEndpointsError(
      `refusing a pair of queues on two endpoints: the DLQ ${target.dlqUrl} (from ${target.dlqOrigin}) and the source queue ${target.queueUrl} (from ${target.origin}); name the two queues of one stack with --queue-url and --dlq-url`,
    );
  }
  const sqs = sqsClientFor(target);
  const dlqUrl = target.dlqUrl ?? (await findDlqUrl(sqs, target.queueUrl));
  if (dlqUrl === undefined) {
    sqs.destroy();
    throw new DlqNotFoundError(
      `${queueNameOf(target.queueUrl)} has no redrive policy, so its DLQ is unknown: pass --dlq-url`,
    );
  }
  const dlqOrigin = target.dlqOrigin === target.origin ? undefined : target.dlqOrigin;
  return { sqs, dlqUrl, sourceQueueUrl: target.queueUrl, origin: target.origin, dlqOrigin };
}

/** The DLQ a person named, alone: enough to read it. The client reaches it at its own endpoint. */
function dlqAlone(
  named: { url: string; origin: string },
  flags: DlqTargetFlags,
  env: Record<string, string | undefined>,
): DlqTarget {
  const sqs = sqsClientFor({ ...clientSettingsFor(named.url, flags, env), queueUrl: named.url });
  return { sqs, dlqUrl: named.url, sourceQueueUrl: undefined, origin: named.origin, dlqOrigin: undefined };
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
