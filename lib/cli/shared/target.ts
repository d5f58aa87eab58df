/**
 * Which queue a command talks to, found in this order: `--queue-url` (with `--endpoint-url` and
 * `--region` for non-default endpoints), the `SPOT_META_QUEUE_URL` environment variable, a
 * `cdk deploy --outputs-file` JSON (`--outputs`), and last the local stack a running `spot-meta dev`
 * announced. Every command finds its queue here; the options are declared in options.ts.
 */
import { readFileSync } from "node:fs";
import { SpotMetaError } from "../../lambda/errors.ts";
import { isLoopbackUrl } from "../../lambda/loopback.ts";
import { readDevState } from "../../local/dev-state.ts";
import { ownEndpointOf } from "./queue-endpoint.ts";

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
  /** @default the nearest DEV_STATE_FILE of a running dev stack, here or above */
  devStateFile?: string;
}

export const TARGET_ORIGINS = {
  flag: "--queue-url",
  env: "SPOT_META_QUEUE_URL",
  outputs: "--outputs",
  dev: "spot-meta dev",
} as const;
type TargetOrigin = (typeof TARGET_ORIGINS)[keyof typeof TARGET_ORIGINS];

/** Where a DLQ URL a person named came from. */
export const DLQ_ORIGINS = { flag: "--dlq-url", env: "SPOT_META_DLQ_URL" } as const;
type DlqOrigin = (typeof DLQ_ORIGINS)[keyof typeof DLQ_ORIGINS] | TargetOrigin;

/** How a client reaches a queue. */
export interface ClientSettings {
  endpoint: string | undefined;
  region: string | undefined;
  /** The local stack accepts any credentials; set so the SDK does not look for real ones. */
  localCredentials: boolean;
}

export interface QueueTarget extends ClientSettings {
  queueUrl: string;
  /** Known when the flag, `SPOT_META_DLQ_URL`, the outputs file or the dev stack says it. */
  dlqUrl: string | undefined;
  /** Where the queue URL came from, for messages to the user. */
  origin: TargetOrigin;
  /** Where the DLQ's URL came from, when it is known. */
  dlqOrigin: DlqOrigin | undefined;
}

/** No queue could be found, or the one named cannot be used; the message lists the ways to name one. */
export class TargetNotFoundError extends SpotMetaError {
  override name = "TargetNotFoundError";
}

/**
 * Finds the target queue. What a person names (a flag, a variable, an outputs file) comes before
 * the running dev stack, and a client reaches a named queue at its own URL's endpoint unless an
 * endpoint is named too (`--endpoint-url`, `AWS_ENDPOINT_URL_SQS`).
 * @throws TargetNotFoundError when no source names a queue, or the outputs file is unreadable or ambiguous
 */
export function resolveTarget(options: TargetOptions = {}): QueueTarget {
  const env = options.env ?? process.env;
  const dlq = namedDlq(options, env);
  const named = namedSource(options, env);
  if (named !== undefined) {
    const dlqOfOutputs =
      named.dlqUrl === undefined ? undefined : { url: named.dlqUrl, origin: TARGET_ORIGINS.outputs };
    const found = dlq ?? dlqOfOutputs;
    return {
      ...clientSettingsFor(named.queueUrl, options, env),
      queueUrl: named.queueUrl,
      dlqUrl: found?.url,
      origin: named.origin,
      dlqOrigin: found?.origin,
    };
  }
  const dev = readDevState(options.devStateFile);
  if (dev !== undefined) {
    return {
      queueUrl: dev.queueUrl,
      dlqUrl: dlq?.url ?? dev.dlqUrl,
      endpoint: options.endpointUrl ?? dev.sqsEndpoint,
      region: options.region ?? dev.region,
      origin: TARGET_ORIGINS.dev,
      dlqOrigin: dlq?.origin ?? TARGET_ORIGINS.dev,
      localCredentials: true,
    };
  }
  // One line, as every refusal: the ways to name a queue, in the order they are looked for.
  throw new TargetNotFoundError(
    "no target queue: name one with --queue-url URL (--endpoint-url and --region for a non-AWS endpoint), SPOT_META_QUEUE_URL, or --outputs FILE (of `cdk deploy --outputs-file`), or start `spot-meta dev` in another terminal, here or in a directory above",
  );
}

/** The DLQ a person named: `--dlq-url`, else `SPOT_META_DLQ_URL` (empty is unset, never a queue named ""). */
export function namedDlq(
  options: Pick<TargetOptions, "dlqUrl">,
  env: Record<string, string | undefined>,
): { url: string; origin: DlqOrigin } | undefined {
  if (options.dlqUrl !== undefined) return { url: options.dlqUrl, origin: DLQ_ORIGINS.flag };
  if (env.SPOT_META_DLQ_URL) return { url: env.SPOT_META_DLQ_URL, origin: DLQ_ORIGINS.env };
  return undefined;
}

/**
 * How a client reaches `queueUrl`: the endpoint named (`--endpoint-url`, `AWS_ENDPOINT_URL_SQS`),
 * else the URL's own, never a discovered stack's.
 */
export function clientSettingsFor(
  queueUrl: string,
  options: Pick<TargetOptions, "endpointUrl" | "region">,
  env: Record<string, string | undefined>,
): ClientSettings {
  const endpoint = options.endpointUrl ?? (env.AWS_ENDPOINT_URL_SQS || undefined) ?? ownEndpointOf(queueUrl);
  return {
    endpoint,
    region: options.region,
    localCredentials: endpoint !== undefined && isLoopbackUrl(endpoint),
  };
}

/** The source queue a person named, in order: the flag, the variable, the outputs file. */
function namedSource(
  options: TargetOptions,
  env: Record<string, string | undefined>,
): { queueUrl: string; dlqUrl?: string; origin: TargetOrigin } | undefined {
  if (options.queueUrl !== undefined) return { queueUrl: options.queueUrl, origin: TARGET_ORIGINS.flag };
  // An empty variable is an unset one.
  if (env.SPOT_META_QUEUE_URL) return { queueUrl: env.SPOT_META_QUEUE_URL, origin: TARGET_ORIGINS.env };
  if (options.outputs === undefined) return undefined;
  return { ...readOutputs(options.outputs), origin: TARGET_ORIGINS.outputs };
}

function readOutputs(path: string): { queueUrl: string; dlqUrl: string | undefined } {
  const outputs = readStackOutputs(path);
  return {
    queueUrl: outputs.QueueUrl as string,
    dlqUrl: typeof outputs.DlqUrl === "string" ? outputs.DlqUrl : undefined,
  };
}

/**
 * The outputs of the one stack in a `cdk deploy --outputs-file` JSON that has a `QueueUrl`.
 * @throws TargetNotFoundError when the file is unreadable, or has no such stack or several
 */
export function readStackOutputs(path: string): Record<string, unknown> {
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
  return (stacks[0] as [string, Record<string, unknown>])[1];
}
