/**
 * The handler's configuration: one zod schema, defaults in one place, read once at start from
 * `SPOT_META_*` environment variables. The CDK stack writes the same variables with
 * {@link toEnvironment}, so the deployed function and its validation cannot drift apart.
 */
import * as z from "zod";
import { MAX_VISIBILITY_SECONDS } from "./backoff.ts";
import { ConfigError } from "./errors.ts";
import { isLoopbackUrl } from "./loopback.ts";
import { isMissing } from "./zod-issues.ts";

const seconds = (max: number) => z.coerce.number().int().min(0).max(max);
const positive = (max: number) => z.coerce.number().int().min(1).max(max);
/** Any URL `new URL` accepts: zod's own check refuses the hosts of local SQS queue URLs. */
export const urlString = z.string().refine((value) => URL.canParse(value), "must be a URL");
const flag = z.union(
  [z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")],
  // zod's own message for a union is "Invalid input": name the values a variable may take.
  { error: "must be one of true, false, 1, 0" },
);

export const handlerConfigSchema = z
  .strictObject({
    spotBaseUrl: urlString
      .default("https://app.spotdx.com")
      .refine(isAllowedBaseUrl, "must be https (plain http only for localhost)")
      .describe("Spot's API root; plain http only for localhost (the sandbox)."),
    spotTokenSecretId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The Secrets Manager secret (name or ARN) holding Spot's token; required in Lambda. Cached, and read again after a 401 or 403.",
      ),
    spotToken: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The token itself: local runs only (`spot-meta dev`, the worker, tests); refused inside Lambda.",
      ),
    dlqUrl: urlString.describe(
      "The dead-letter queue, where messages that cannot be applied go with their reason.",
    ),
    maxReceiveCount: positive(1000)
      .default(5)
      .describe(
        "The source queue's redrive `maxReceiveCount`: the handler dead-letters a message on that receive itself.",
      ),
    concurrency: positive(100).default(5).describe("Calls to Spot in flight at once within one invocation."),
    requestsPerSecond: positive(1000)
      .default(20)
      .describe(
        "Calls to Spot started per second by one instance, at most: the ceiling of its pace. With `adaptivePace`, the pace below it is learned from Spot's 429s.",
      ),
    adaptivePace: flag
      .default(true)
      .describe(
        "Learn the pace Spot allows from its 429s: slow down on a refusal, probe upward while calls succeed, never above `requestsPerSecond`. Off: every instance runs at `requestsPerSecond`.",
      ),
    minRequestsPerSecond: positive(1000)
      .default(1)
      .describe(
        "The slowest an instance's learned pace gets, in calls per second, however often Spot refuses; at most `requestsPerSecond`.",
      ),
    requestTimeoutMs: positive(60_000).default(5_000).describe("The timeout of one HTTP attempt."),
    retryLimit: seconds(10)
      .default(2)
      .describe("Quick in-process retries of a transient failure, for blips; the queue does the slow ones."),
    retryMaxDelayMs: positive(60_000)
      .default(2_000)
      .describe(
        "The longest wait between quick retries, and the most of a `Retry-After` honoured in-process; a longer one goes to the queue's backoff. A 429 is never waited in-process: it goes back to the queue at once.",
      ),
    backoffBaseSeconds: positive(3_600)
      .default(30)
      .describe(
        "Backoff of a message handed back: base × 2^(n−1), equal jitter, capped at `backoffMaxSeconds`; n counts the message's own failures (its visibility timeout) or its other hand-backs (its delay when sent again).",
      ),
    backoffMaxSeconds: positive(MAX_VISIBILITY_SECONDS)
      .default(900)
      .describe("The longest backoff of a message handed back; at least `backoffBaseSeconds`."),
    circuitBreakerThreshold: positive(1000)
      .default(5)
      .describe(
        "Consecutive transient failures in one invocation that stop calls to Spot for the rest of it.",
      ),
    deadlineMarginMs: positive(120_000)
      .default(8_000)
      .describe("No call starts with less than this much of the invocation left."),
    ledgerTable: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The applied-updates ledger's DynamoDB table (newest wins across batches); unset switches it off.",
      ),
    ledgerLeaseSeconds: positive(900)
      .default(120)
      .describe(
        "The longest an attempt may hold an order: its call (retries included) ends the late-write window before this, so a holder that crashes keeps others out no longer. An uncertain call reopens the order at its end plus the window, sooner. Longer than a call with its retries plus the window; the stack sets the function's timeout + the window + 30 s.",
      ),
    /** See docs/ordering.md. */
    lateWriteWindowSeconds: positive(600)
      .default(30)
      .describe(
        "How long after a call without a sure answer its write may still land at Spot: the order stays closed to other updates until the call's end plus this.",
      ),
    /**
     * Each hand-back is a new message, so the queue's retention does not bound how long a message
     * goes round: this does.
     */
    maxHandBackAgeSeconds: positive(1_209_600)
      .default(345_600)
      .describe(
        "A message handed back for causes not its own (Spot's pace, the token, the ledger…) for longer than this since it was first enqueued is dead-lettered as `exhausted`, with the cause. The stack sets the source queue's retention.",
      ),
    maxClockSkewSeconds: positive(86_400)
      .default(300)
      .describe(
        "An `issuedAt` further ahead of the handler's clock than this is `invalid`: it would freeze the order.",
      ),
    ledgerTtlDays: positive(3650)
      .default(90)
      .describe("How long the ledger remembers an order, in days (its items' TTL)."),
    metricsNamespace: z
      .string()
      .min(1)
      .default("SpotOrderMetadata")
      .describe("CloudWatch namespace of the handler's metrics (Embedded Metric Format)."),
    logLevel: z
      .enum(["debug", "info", "warn", "error"])
      .default("info")
      .describe("The lowest level logged: `debug`, `info`, `warn` or `error`."),
    logMetadata: flag
      .default(false)
      .describe("Log metadata values. Off by default: they can hold health information."),
  })
  .superRefine((config, ctx) => {
    const longestCallMs =
      config.requestTimeoutMs * (config.retryLimit + 1) + config.retryMaxDelayMs * config.retryLimit;
    const neededMs = longestCallMs + config.lateWriteWindowSeconds * 1000;
    if (config.ledgerLeaseSeconds * 1000 <= neededMs) {
      ctx.addIssue({
        code: "custom",
        path: ["ledgerLeaseSeconds"],
        message: `must outlast one call to Spot with its retries and the late-write window (${Math.ceil(neededMs / 1000)} s)`,
      });
    }
    if (config.spotToken === undefined && config.spotTokenSecretId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["spotTokenSecretId"],
        message: "is required (or spotToken locally)",
      });
    }
    if (config.minRequestsPerSecond > config.requestsPerSecond) {
      ctx.addIssue({
        code: "custom",
        path: ["minRequestsPerSecond"],
        message: `must be at most requestsPerSecond (${config.requestsPerSecond})`,
      });
    }
    if (config.backoffMaxSeconds < config.backoffBaseSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["backoffMaxSeconds"],
        message: "must be at least backoffBaseSeconds",
      });
    }
  });

export type HandlerConfig = z.output<typeof handlerConfigSchema>;
export type HandlerConfigInput = z.input<typeof handlerConfigSchema>;

const ENV_PREFIX = "SPOT_META_";

/** `requestTimeoutMs` → `SPOT_META_REQUEST_TIMEOUT_MS`. */
export function envName(key: keyof HandlerConfig): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Variables of the same prefix that the CLI reads (lib/cli/shared/target.ts), not the handler. */
const CLI_VARIABLES = new Set([`${ENV_PREFIX}QUEUE_URL`]);

const keyByEnvName = new Map(
  Object.keys(handlerConfigSchema.shape).map((key) => [envName(key as keyof HandlerConfig), key]),
);

/**
 * Reads and validates the configuration from the environment.
 * @throws {ConfigError} naming every variable that is wrong, unknown or missing, all at once.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): HandlerConfig {
  const input: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || CLI_VARIABLES.has(name) || value === undefined) continue;
    const key = keyByEnvName.get(name);
    if (key === undefined) problems.push(`${name}: unknown setting (a typo?)`);
    else input[key] = value;
  }
  if (input.spotToken === undefined && input.spotTokenSecretId === undefined) {
    problems.push(`${envName("spotTokenSecretId")}: is required (or ${envName("spotToken")}, locally only)`);
  }
  if (input.spotToken !== undefined && env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    problems.push(`${envName("spotToken")}: not allowed in Lambda; use ${envName("spotTokenSecretId")}`);
  }
  const result = handlerConfigSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? "");
      const shown = key === "spotToken" || input[key] === undefined ? "" : ` (got "${input[key]}")`;
      problems.push(
        `${key ? envName(key as keyof HandlerConfig) : "configuration"}: ${describeIssue(issue, input)}${shown}`,
      );
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/**
 * Renders settings as the environment the handler reads. Used by the CDK stack and the local stack.
 * @throws {ConfigError} when the settings would not pass {@link readConfig}.
 */
export function toEnvironment(settings: HandlerConfigInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined) env[envName(key as keyof HandlerConfig)] = String(value);
  }
  readConfig(env);
  return env;
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, string>): string {
  switch (issue.code) {
    case "invalid_type":
      return isMissing(issue, input)
        ? "is required"
        : `must be ${issue.expected === "number" ? "a whole number" : `a ${issue.expected}`}`;
    case "too_small":
      return `must be at least ${issue.minimum}`;
    case "too_big":
      return `must be at most ${issue.maximum}`;
    case "invalid_value":
      return `must be one of ${issue.values.map(String).join(", ")}`;
    default:
      return issue.message;
  }
}

function isAllowedBaseUrl(value: string): boolean {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url));
}
