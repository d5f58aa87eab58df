/**
 * The stack configuration's schema: every setting with its default and its own limits. What settings
 * mean together is checked in config-conflicts.ts; config.ts puts the two together.
 */
import * as z from "zod";
import { MAX_VISIBILITY_SECONDS } from "../lib/lambda/backoff.ts";
import { type HandlerConfig, type HandlerConfigInput, handlerConfigSchema } from "../lib/lambda/config.ts";
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from "../lib/lambda/queue-settings.ts";
import { alarmDestinationOf, NO_ALARM_DESTINATION } from "./alarm-destination.ts";
import { producerPrincipalsSchema } from "./producer-principals.ts";

export { type AlarmDestination, alarmDestinationOf, NO_ALARM_DESTINATION } from "./alarm-destination.ts";

/** The CDK context key that holds the configuration object. */
export const CONTEXT_KEY = "spotOrderMetadata";

/** The DLQ keeps messages for SQS's maximum, so it always outlives the source queue's copies. */
export const DLQ_RETENTION_SECONDS = DEFAULT_QUEUE_SETTINGS.dlqRetentionSeconds;

/** Lambda's SQS event source cannot batch FIFO messages over a window; standard queues wait this long. */
export const DEFAULT_BATCHING_WINDOW_SECONDS = 5;

/** The `reservedConcurrency` that reserves none: the function shares the account's unreserved pool. */
export const UNRESERVED = "none";

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Handler settings the stack fills in itself, from resources it creates or from its own settings:
 * they cannot be set under `handler`. `spotToken` is here so the token never lands in the environment.
 */
export const STACK_OWNED_HANDLER_SETTINGS = [
  "spotBaseUrl",
  "spotTokenSecretId",
  "spotToken",
  "dlqUrl",
  "maxReceiveCount",
  "concurrency",
  "requestsPerSecond",
  "ledgerTable",
  "ledgerTtlDays",
  "metricsNamespace",
] as const satisfies readonly (keyof HandlerConfig)[];

// Context values given with -c arrive as strings, so numbers and flags accept their string forms.
const int = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.code === "invalid_type" ? "must be a whole number" : undefined) })
      .int()
      .min(min)
      .max(max),
  );
const flag = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);

/** An alarm's threshold on a count over its 5 minutes: by default it fires on the first. */
const alarmCount = (description: string) => int(1, 100_000).default(1).describe(description);

const alarmsSchema = z.strictObject({
  oldestMessageAgeSeconds: int(60, 1_209_600)
    .default(3600)
    .describe(
      "Alarm when the oldest message in the source queue, or a message going round as hand-backs since it was first enqueued, is older than this.",
    ),
  functionErrors: alarmCount(
    "Alarm when the function fails (crashes, timeouts) at least this often in 5 minutes.",
  ),
  functionThrottles: alarmCount("Alarm when Lambda throttles the function at least this often in 5 minutes."),
  systemicFailures: alarmCount(
    "Alarm when the handler reports this many systemic failures (any cause but the message) in 5 minutes.",
  ),
  drift: alarmCount(
    "Alarm when Spot's answers drift from its documented order, or hold other metadata than was sent, at least this often in 5 minutes.",
  ),
  dlqOldestMessageAgeSeconds: int(60, 1_123_200)
    .default(259_200)
    .describe("Alarm when the oldest message in the DLQ is older than this (it expires after 14 days)."),
});

export const stackConfigSchema = z.strictObject({
  namePrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,39}$/, "must be a letter then up to 39 letters, digits or hyphens")
    .default("spot-order-metadata")
    .describe(
      "The stack's name and the prefix of every named resource: the queues (`<prefix>`, `<prefix>-dlq`), the function (`<prefix>-update-metadata`), the ledger, the alarms and the dashboard. Deploy a second copy with another prefix.",
    ),
  memorySizeMb: int(128, 10_240)
    .default(256)
    .describe("The function's memory (MB); CPU scales with it. Its measured peak is 165–170 MB."),
  timeoutSeconds: int(10, 900).default(60).describe("The function's timeout."),
  batchSize: int(1, 10).default(10).describe("Messages per invocation (at most 10)."),
  maxBatchingWindowSeconds: int(0, 300).optional().meta({
    description:
      "How long the event source gathers a batch. Lambda has no batching window for FIFO queues: 0 with `fifo`.",
    defaultText: "5; 0 with `fifo`",
  }),
  maxConcurrency: int(2, 1000)
    .default(2)
    .describe(
      "Invocations the event source runs at once (AWS's minimum is 2); × `requestsPerSecond` is the most calls a second Spot sees.",
    ),
  reservedConcurrency: z
    .union([z.literal(UNRESERVED), int(1, 1000)], {
      error: `must be a whole number from 1 to 1000, or ${UNRESERVED}`,
    })
    .optional()
    .meta({
      description: `Concurrency reserved for the function, so other functions in the account cannot starve it (and it cannot starve them); at least \`maxConcurrency\`, or the event source's invocations are throttled. \`${UNRESERVED}\` reserves nothing: an account whose concurrency quota is still 10 cannot reserve any.`,
      defaultText: "`maxConcurrency`",
    }),
  handlerConcurrency: int(1, 100)
    .default(5)
    .describe("Calls to Spot in flight at once within one invocation (the handler's `concurrency`)."),
  requestsPerSecond: int(1, 1000)
    .default(20)
    .describe(
      "The ceiling of each instance's pace at Spot, in calls started per second; below it the pace is learned from Spot's 429s. An invocation waits on the pace, so the ceiling sets the billed time per update.",
    ),
  maxReceiveCount: int(5, 1000)
    .default(DEFAULT_QUEUE_SETTINGS.maxReceiveCount)
    .describe(
      "Receives before SQS moves a message to the DLQ (at least 5); the handler's backoff spreads them over time.",
    ),
  visibilityTimeoutSeconds: int(0, MAX_VISIBILITY_SECONDS).optional().meta({
    description: "The source queue's visibility timeout; at least the default.",
    defaultText: "6 × `timeoutSeconds` + `maxBatchingWindowSeconds`",
  }),
  queueRetentionSeconds: int(60, 1_209_600)
    .default(DEFAULT_QUEUE_SETTINGS.retentionSeconds)
    .describe(
      "How long the source queue keeps a message (the DLQ keeps 14 days); the handler dead-letters a message going round as hand-backs for longer.",
    ),
  logRetentionDays: int(1, 3653)
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(30)
    .describe("The function's log retention, in days: one of CloudWatch's periods."),
  alarmDestination: z
    .string()
    .refine((value) => alarmDestinationOf(value) !== undefined, {
      message: `must be an e-mail address, a standard SNS topic's ARN (arn:aws:sns:<region>:<account>:<name>), or ${NO_ALARM_DESTINATION}`,
    })
    .optional()
    .meta({
      description: `Who the alarms reach: an e-mail address (subscribed to the stack's topic; confirm the e-mail AWS sends), an existing SNS topic's ARN (the alarms go to it instead of a topic of the stack's own; its policy must let this account's CloudWatch publish), or \`${NO_ALARM_DESTINATION}\` to deploy with no one told (the synth warns). Unset, the synth refuses.`,
      defaultText: `— (the synth refuses; \`cdk.json\` sets \`${NO_ALARM_DESTINATION}\`)`,
    }),
  spotTokenSecret: z
    .string()
    .min(1)
    .optional()
    .describe(
      "An existing Secrets Manager secret (name or ARN) holding the Spot token; unset creates an empty one.",
    ),
  spotTokenSecretKmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, "must be a KMS key ARN")
    .optional()
    .describe(
      "The customer-managed KMS key (ARN) that encrypts `spotTokenSecret`, if it is not the account's default key: the function is then granted kms:Decrypt on it, through Secrets Manager only.",
    ),
  /** Tags on every resource, for cost reports and ownership. */
  tags: z
    .strictObject({
      service: z
        .string()
        .min(1)
        .max(256)
        .default("spot-order-metadata")
        .describe("The `service` tag on every resource."),
      owner: z.string().min(1).max(256).optional().describe("The `owner` tag on every resource."),
      costCentre: z.string().min(1).max(256).optional().describe("The `costCentre` tag on every resource."),
    })
    .prefault({}),
  fifo: flag
    .default(DEFAULT_QUEUE_SETTINGS.fifo)
    .describe(
      "A FIFO queue pair (names end in `.fifo`; the order is the message group, and the producer sets deduplication ids) instead of standard queues.",
    ),
  ledger: flag
    .default(true)
    .describe(
      "The applied-updates ledger (the DynamoDB table `<prefix>-ledger`) that keeps an older update from landing after a newer one. Off: only the newest-in-batch rule remains.",
    ),
  tracing: flag
    .default(true)
    .describe(
      "X-Ray active tracing of the function and its AWS calls (about $0.15 a million updates at the default pace); off passes traces through only.",
    ),
  ledgerTtlDays: int(1, 3650)
    .default(90)
    .describe(
      "How long the ledger remembers an order, in days: at least the DLQ's retention and the source queue's.",
    ),
  spotBaseUrl: z
    .url({ protocol: /^https$/, error: "must be an https URL" })
    .default("https://app.spotdx.com")
    .describe("Spot's API root (https only)."),
  metricsNamespace: z
    .string()
    .min(1)
    .max(255)
    .default("SpotOrderMetadata")
    .describe("CloudWatch namespace of the handler's metrics (Embedded Metric Format)."),
  producerPrincipals: producerPrincipalsSchema
    .default([])
    .describe(
      "Account ids or IAM role ARNs in other accounts that may send to the source queue, by its queue policy (a `-c` value is a comma-separated list).",
    ),
  alarms: alarmsSchema.prefault({}),
  handler: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe(
      "Any other handler setting by its name (the handler's table), e.g. `logLevel`, `backoffMaxSeconds`, `requestTimeoutMs`.",
    ),
});

/** The validated configuration, with the derived defaults filled in. */
export type StackConfig = Omit<
  z.output<typeof stackConfigSchema>,
  "maxBatchingWindowSeconds" | "visibilityTimeoutSeconds" | "reservedConcurrency" | "handler"
> & {
  maxBatchingWindowSeconds: number;
  visibilityTimeoutSeconds: number;
  reservedConcurrency: number | typeof UNRESERVED;
  handler: Partial<HandlerConfigInput>;
};

/** The queue settings this configuration gives the source queue and its DLQ. */
export function toQueueSettings(config: StackConfig): QueueSettings {
  return {
    maxReceiveCount: config.maxReceiveCount,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    retentionSeconds: config.queueRetentionSeconds,
    dlqRetentionSeconds: DLQ_RETENTION_SECONDS,
    fifo: config.fifo,
  };
}

/** The handler settings this configuration gives the function, before deploy-time values are known. */
export function toHandlerSettings(
  config: StackConfig,
  deployed: { dlqUrl: string; spotTokenSecretId: string; ledgerTable?: string | undefined },
): HandlerConfigInput {
  return {
    // The lease outlasts an invocation by the late-write window (and a margin) unless set.
    ledgerLeaseSeconds: config.ledger ? defaultLeaseSeconds(config) : undefined,
    // A message handed back round and round is a new message each time: the queue's retention no
    // longer bounds it, so the handler does, at the same age.
    maxHandBackAgeSeconds: config.queueRetentionSeconds,
    ...config.handler,
    spotBaseUrl: config.spotBaseUrl,
    dlqUrl: deployed.dlqUrl,
    spotTokenSecretId: deployed.spotTokenSecretId,
    maxReceiveCount: config.maxReceiveCount,
    concurrency: config.handlerConcurrency,
    requestsPerSecond: config.requestsPerSecond,
    ledgerTable: deployed.ledgerTable,
    ledgerTtlDays: config.ledger ? config.ledgerTtlDays : undefined,
    metricsNamespace: config.metricsNamespace,
  };
}

/** The handler's default late-write window, unless the stack's handler settings name one. */
const DEFAULT_LATE_WRITE_WINDOW_SECONDS = handlerConfigSchema.shape.lateWriteWindowSeconds.parse(undefined);

/** The function's timeout, the late-write window and a half-minute margin; at least the handler's default. */
function defaultLeaseSeconds(config: StackConfig): number {
  const window = Number(config.handler.lateWriteWindowSeconds ?? DEFAULT_LATE_WRITE_WINDOW_SECONDS);
  const byTimeout = config.timeoutSeconds + window + 30;
  return Math.min(900, Math.max(handlerConfigSchema.shape.ledgerLeaseSeconds.parse(undefined), byTimeout));
}
