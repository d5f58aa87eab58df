/**
 * Builds the SQS handler from a configuration: the Spot client, the token, the queues and the
 * ledger wired into one {@link BatchProcessor}. The Lambda entry point and the local stack both use it,
 * so what runs locally is what runs in AWS.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { HandlerConfig } from "./config.ts";
import { DynamoLedger } from "./ledger/dynamo-ledger.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type EmfDocument } from "./metrics.ts";
import { DynamoPaceStore } from "./pace/dynamo-pace-store.ts";
import { BatchProcessor } from "./processor/batch-processor.ts";
import type { InvocationContext } from "./processor/deps.ts";
import type { OrderingGuard } from "./processor/ordering.ts";
import { SpotClient } from "./spot/client.ts";
import { secretsManagerToken, staticToken, type TokenProvider } from "./token.ts";

/** Processes one batch; its metrics go into the store handed in, which the caller flushes. */
export type BatchHandler = (
  event: SQSEvent,
  context: InvocationContext,
  metrics: Metrics,
) => Promise<SQSBatchResponse>;

/** Processes one batch and flushes its own metrics. */
export type UpdateHandler = (event: SQSEvent, context: InvocationContext) => Promise<SQSBatchResponse>;

export interface HandlerOverrides {
  sqs?: SQSClient;
  logger?: Logger;
  token?: TokenProvider;
  /** The ordering guard; by default the DynamoDB ledger when `ledgerTable` is set. */
  ordering?: OrderingGuard;
  /** The ledger's DynamoDB client, when not AWS's default (the local stack). */
  dynamoDb?: DynamoDBClient;
  /** The token secret's client, when not AWS's default (e.g. traced). */
  secretsManager?: SecretsManagerClient;
  sqsEndpoint?: string;
  /** {@link createUpdateHandler}: the metrics' `Service` dimension. @default the Lambda function's name */
  service?: string;
  /** {@link createUpdateHandler}: where each invocation's metrics go instead of stdout. */
  onMetrics?: (document: EmfDocument) => void;
}

/**
 * The handler as the local stack, `spot-meta worker`, the tests and the benchmarks run it. Several
 * invocations run at once in one process there, so each gets a metrics store of its own, flushed by
 * the middleware Lambda's entry point uses (where invocations take turns on the instance's one store).
 */
export function createUpdateHandler(config: HandlerConfig, overrides: HandlerOverrides = {}): UpdateHandler {
  const processBatch = createBatchHandler(config, overrides);
  return (event, context) => {
    const metrics = createMetrics(config.metricsNamespace, overrides.service, overrides.onMetrics);
    return middy<SQSEvent, SQSBatchResponse, Error, Context>()
      .use(logMetrics(metrics))
      .handler((batch) => processBatch(batch, context, metrics))(event, context as Context);
  };
}

/** The processor, wired; Lambda's entry point hands it the instance's one metrics store. */
export function createBatchHandler(config: HandlerConfig, overrides: HandlerOverrides = {}): BatchHandler {
  const token = overrides.token ?? tokenFrom(config, overrides.secretsManager);
  const spot = new SpotClient({
    baseUrl: config.spotBaseUrl,
    token,
    timeoutMs: config.requestTimeoutMs,
    retryLimit: config.retryLimit,
    retryMaxDelayMs: config.retryMaxDelayMs,
    // A refusal goes back to the queue at once, with the wait its pace asks: waited here, it would
    // stall the instance's whole batch for Spot's `Retry-After` (docs/benchmarks.md, Pace).
    rateLimitsToCaller: true,
  });
  // The ledger and the shared pace's record share the table, and one client.
  const dynamoDb =
    config.ledgerTable === undefined ? undefined : (overrides.dynamoDb ?? new DynamoDBClient({}));
  const processor = new BatchProcessor({
    config,
    spot,
    sqs: overrides.sqs ?? new SQSClient({}),
    logger: overrides.logger ?? createLogger({ level: config.logLevel }),
    onSystemicFailure: () => token.invalidate(),
    ordering: overrides.ordering ?? ledgerFrom(config, dynamoDb),
    ...(config.ledgerTable === undefined || dynamoDb === undefined
      ? {}
      : { paceStore: new DynamoPaceStore({ client: dynamoDb, table: config.ledgerTable }) }),
    sqsEndpoint: overrides.sqsEndpoint,
  });
  return (event, context, metrics) => processor.process(event, context, metrics);
}

function tokenFrom(config: HandlerConfig, client?: SecretsManagerClient): TokenProvider {
  // readConfig guarantees one of the two, and refuses a plain token inside Lambda.
  if (config.spotToken !== undefined) return staticToken(config.spotToken);
  return secretsManagerToken(config.spotTokenSecretId as string, client);
}

function ledgerFrom(config: HandlerConfig, client?: DynamoDBClient): OrderingGuard | undefined {
  if (config.ledgerTable === undefined) return undefined;
  return new DynamoLedger({
    client: client ?? new DynamoDBClient({}),
    table: config.ledgerTable,
    ttlDays: config.ledgerTtlDays,
  });
}
