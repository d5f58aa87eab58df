/**
 * The whole pipeline on this machine: the embedded SQS server with the stack's queues, the
 * applied-updates ledger on an embedded DynamoDB, the Spot sandbox, and the queue poller invoking the same handler Lambda runs. `npm start`, the tests,
 * the benchmarks and `spot-meta dev` all stand on it.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type HandlerConfig, type HandlerConfigInput, readConfig, toEnvironment } from "../lambda/config.ts";
import { TimedOutError } from "../lambda/errors.ts";
import { DynamoLedger } from "../lambda/ledger/dynamo-ledger.ts";
import { createLogger, type Logger } from "../lambda/logger.ts";
import type { OrderingGuard } from "../lambda/processor/ordering.ts";
import type { QueueSettings } from "../lambda/queue-settings.ts";
import { queueDepth as depthOfQueue, type QueueDepth } from "../lambda/sqs/queue-depth.ts";
import { createUpdateHandler, type HandlerOverrides, type UpdateHandler } from "../lambda/update-handler.ts";
import { type PollerOptions, QueuePoller } from "../tools/poller.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "./embedded-dynamodb.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "./embedded-sqs.ts";
import { startSpotSandbox } from "./sandbox/spot-sandbox.ts";
import type { SandboxOptions, SpotSandbox } from "./sandbox/types.ts";

export interface LocalStackOptions {
  queues?: Partial<QueueSettings>;
  sandbox?: SandboxOptions;
  /** Handler settings over the local defaults (fast backoff, the sandbox's URL and token). */
  handler?: Partial<HandlerConfigInput>;
  eventSource?: Pick<
    PollerOptions,
    "batchSize" | "batchingWindowMs" | "pollers" | "functionTimeoutMs" | "waitTimeSeconds" | "onInvocation"
  >;
  /** Wraps the handler, e.g. to inject crashes in tests. */
  wrapHandler?: (handler: UpdateHandler) => UpdateHandler;
  /** Wraps the ordering guard (the ledger), e.g. to inject its failures in tests. */
  wrapOrdering?: (ledger: OrderingGuard) => OrderingGuard;
  /** Run the applied-updates ledger on an embedded DynamoDB (dynalite). @default true */
  ledger?: boolean;
  logger?: Logger;
  /** Where each invocation's metrics go instead of stdout. */
  onMetrics?: HandlerOverrides["onMetrics"];
  /** Start polling at once. @default true */
  autoStart?: boolean;
}

export interface LocalStack {
  queues: EmbeddedSqs;
  sandbox: SpotSandbox;
  /** The embedded DynamoDB holding the ledger, unless the ledger is off. */
  dynamoDb: EmbeddedDynamoDb | undefined;
  sqs: SQSClient;
  config: HandlerConfig;
  /** The handler's environment, as the CDK stack would set it. */
  environment: Record<string, string>;
  eventSource: QueuePoller;
  /** Resolves once the source queue holds nothing: every message applied, superseded or dead-lettered. */
  waitUntilDrained(options?: { timeoutMs?: number }): Promise<void>;
  queueDepth(queueUrl: string): Promise<QueueDepth>;
  stop(): Promise<void>;
}

/** Backoff in seconds, not minutes: the local run shows retries without making anyone wait. */
const LOCAL_HANDLER_DEFAULTS: Partial<HandlerConfigInput> = {
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 4,
  requestsPerSecond: 200,
  requestTimeoutMs: 1_000,
  retryMaxDelayMs: 500,
  deadlineMarginMs: 2_500,
  // The sandbox's late writes land within a second; a lease of seconds keeps the local run brisk.
  lateWriteWindowSeconds: 1,
  ledgerLeaseSeconds: 6,
};

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const queues = await startEmbeddedSqs({ visibilityTimeoutSeconds: 30, ...options.queues });
  const sandbox = await startSpotSandbox(options.sandbox);
  const dynamoDb = options.ledger === false ? undefined : await startEmbeddedDynamoDb();
  const ledgerClient = dynamoDb?.client();
  const sqs = queues.client();
  const environment = toEnvironment({
    ...LOCAL_HANDLER_DEFAULTS,
    spotBaseUrl: sandbox.url,
    spotToken: sandbox.token,
    dlqUrl: queues.dlqUrl,
    maxReceiveCount: queues.settings.maxReceiveCount,
    ledgerTable: dynamoDb?.table,
    ...options.handler,
  });
  const config = readConfig(environment);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const handler = createUpdateHandler(config, {
    sqs,
    logger,
    sqsEndpoint: queues.endpoint,
    ordering: wrappedLedger(options, config, dynamoDb, ledgerClient),
    dynamoDb: ledgerClient,
    onMetrics: options.onMetrics,
    service: "spot-order-metadata-local",
  });
  const eventSource = new QueuePoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    region: queues.region,
    // Its queues stop with it: a poll cut short on stop takes nothing anyone will miss.
    abortPollsOnStop: true,
    handler: options.wrapHandler ? options.wrapHandler(handler) : handler,
    ...options.eventSource,
    functionTimeoutMs: options.eventSource?.functionTimeoutMs ?? 15_000,
    onPollError: (error) => logger.warn({ error: String(error) }, "queue poller: poll failed"),
  });
  if (options.autoStart !== false) eventSource.start();
  const queueDepth = (queueUrl: string) => depthOfQueue(sqs, queueUrl);
  return {
    queues,
    sandbox,
    dynamoDb,
    sqs,
    config,
    environment,
    eventSource,
    queueDepth,
    waitUntilDrained: ({ timeoutMs = 120_000 } = {}) =>
      untilEmpty(() => queueDepth(queues.queueUrl), timeoutMs),
    async stop() {
      await eventSource.stop();
      sqs.destroy();
      ledgerClient?.destroy();
      await Promise.all([sandbox.close(), queues.stop(), dynamoDb?.stop()]);
    },
  };
}

/** The ledger a test wraps (to count or break its calls), when it asks to; else the handler builds its own. */
function wrappedLedger(
  options: LocalStackOptions,
  config: HandlerConfig,
  dynamoDb: EmbeddedDynamoDb | undefined,
  client: DynamoDBClient | undefined,
): OrderingGuard | undefined {
  if (options.wrapOrdering === undefined || dynamoDb === undefined || client === undefined) return undefined;
  const ledger = new DynamoLedger({
    client,
    table: dynamoDb.table,
    ttlDays: config.ledgerTtlDays,
  });
  return options.wrapOrdering(ledger);
}

/** Resolves once the queue holds nothing (visible, in flight or delayed). */
async function untilEmpty(depth: () => Promise<QueueDepth>, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    const { visible, inFlight, delayed } = await depth();
    if (visible + inFlight + delayed === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new TimedOutError(`the source queue did not drain within ${timeoutMs} ms`);
}
