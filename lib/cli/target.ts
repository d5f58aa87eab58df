/**
 * Which queue a command talks to, found in this order: `--queue-url` (with `--endpoint-url` and
 * `--region` for non-default endpoints), the `SPOT_META_QUEUE_URL` environment variable, a
 * `cdk deploy --outputs-file` JSON (`--outputs`), and last the local stack a running `spot-meta dev`
 * announced. Shared by `spot-meta import` and the DLQ commands.
 */
import { readFileSync } from "node:fs";
import { SpotMetaError } from "../lambda/errors.ts";
import { isLoopbackUrl } from "../lambda/loopback.ts";
import { DEV_STATE_FILE, readDevState } from "../local/dev-state.ts";

export interface TargetOptions {
  queueUrl?: string;
  /** The DLQ, when the caller knows it (the DLQ commands' `--dlq-url`). */
  dlqUrl?: string;
  /** An SQS-compatible endpoint other than AWS's (LocalStack, fauxqs). */
  endpointUrl?: string;
  region?: string;
  /** A `cdk deploy --outputs-file` JSON holding `QueueUrl` (and `DlqUrl`). */
  outputs?: string;
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** @default DEV_STATE_FILE */
  devStateFile?: string;
}

export const TARGET_ORIGINS = {
  flag: "--queue-url",
  env: "SPOT_META_QUEUE_URL",
  outputs: "--outputs",
  dev: "spot-meta dev",
} as const;
type TargetOrigin = (typeof TARGET_ORIGINS)[keyof typeof TARGET_ORIGINS];

export interface QueueTarget {
  queueUrl: string;
  /** Known when the flag, `SPOT_META_DLQ_URL`, the outputs file or the dev stack says it. */
  dlqUrl: string | undefined;
  endpoint: string | undefined;
  region: string | undefined;
  /** Where the queue URL came from, for messages to the user. */
  origin: TargetOrigin;
  /** The local stack accepts any credentials; set so the SDK does not look for real ones. */
  localCredentials: boolean;
}

/** No queue could be found, or the one named cannot be used; the message lists the ways to name one. */
export class TargetNotFoundError extends SpotMetaError {
  override name = "TargetNotFoundError";
}

/**
 * Finds the target queue.
 * @throws TargetNotFoundError when no source names a queue, or the outputs file is unreadable or ambiguous
 */
export function resolveTarget(options: TargetOptions = {}): QueueTarget {
  const env = options.env ?? process.env;
  const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL_SQS;
  const common = {
    endpoint,
    region: options.region,
    localCredentials: endpoint !== undefined && isLoopbackUrl(endpoint),
  };
  // An empty variable is an unset one, as for SPOT_META_QUEUE_URL below: never a queue named "".
  const dlqUrl = options.dlqUrl ?? (env.SPOT_META_DLQ_URL || undefined);
  if (options.queueUrl !== undefined) {
    return { ...common, queueUrl: options.queueUrl, dlqUrl, origin: TARGET_ORIGINS.flag };
  }
  if (env.SPOT_META_QUEUE_URL) {
    return { ...common, queueUrl: env.SPOT_META_QUEUE_URL, dlqUrl, origin: TARGET_ORIGINS.env };
  }
  if (options.outputs !== undefined) {
    const outputs = readOutputs(options.outputs);
    return {
      ...common,
      queueUrl: outputs.queueUrl,
      dlqUrl: dlqUrl ?? outputs.dlqUrl,
      origin: TARGET_ORIGINS.outputs,
    };
  }
  const dev = readDevState(options.devStateFile ?? DEV_STATE_FILE);
  if (dev !== undefined) {
    return {
      queueUrl: dev.queueUrl,
      dlqUrl: dlqUrl ?? dev.dlqUrl,
      endpoint: options.endpointUrl ?? dev.sqsEndpoint,
      region: options.region ?? dev.region,
      origin: TARGET_ORIGINS.dev,
      localCredentials: true,
    };
  }
  throw new TargetNotFoundError(
    [
      "no target queue: name one with",
      "  --queue-url URL (plus --endpoint-url URL and --region for a non-AWS endpoint),",
      "  the SPOT_META_QUEUE_URL environment variable,",
      "  --outputs FILE (the JSON of `cdk deploy --outputs-file FILE`, with a QueueUrl output),",
      "  or start the local stack with `spot-meta dev` in another terminal.",
    ].join("\n"),
  );
}

function readOutputs(path: string): { queueUrl: string; dlqUrl: string | undefined } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new TargetNotFoundError(
      `cannot read ${path} as JSON (expected the file of \`cdk deploy --outputs-file\`)`,
    );
  }
  // cdk writes { "<StackName>": { "<OutputId>": "<value>", … }, … }.
  const stacks = Object.entries(value !== null && typeof value === "object" ? value : {}).filter(
    ([, outputs]) =>
      outputs !== null &&
      typeof outputs === "object" &&
      typeof (outputs as Record<string, unknown>).QueueUrl === "string",
  ) as [string, Record<string, unknown>][];
  if (stacks.length === 0) throw new TargetNotFoundError(`${path} has no stack with a QueueUrl output`);
  if (stacks.length > 1) {
    throw new TargetNotFoundError(
      `${path} has a QueueUrl in several stacks (${stacks.map(([name]) => name).join(", ")}): pass --queue-url`,
    );
  }
  const [, outputs] = stacks[0] as [string, Record<string, unknown>];
  return {
    queueUrl: outputs.QueueUrl as string,
    dlqUrl: typeof outputs.DlqUrl === "string" ? outputs.DlqUrl : undefined,
  };
}
