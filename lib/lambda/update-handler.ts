/**
 * Builds the SQS handler from a configuration: the Spot client, the token, the queues and the
 * ledger wired into one {@link BatchProcessor}. The Lambda entry point and the local stack both use it,
 * so what runs locally is what runs in AWS.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { HandlerConfig } from "./config.ts";
import { DynamoLedger } from "./ledger/dynamo-ledger.ts";
import { createLogger, type Logger } from "./logger.ts";
import { BatchProcessor } from "./processor/batch-processor.ts";
import type { InvocationContext, ProcessorDeps } from "./processor/deps.ts";
import type { OrderingGuard } from "./processor/ordering.ts";
import { SpotClient } from "./spot/client.ts";
import { secretsManagerToken, staticToken, type TokenProvider } from "./token.ts";

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
  writeMetrics?: ProcessorDeps["writeMetrics"];
  service?: string;
}

export function createUpdateHandler(config: HandlerConfig, overrides: HandlerOverrides = {}): UpdateHandler {
  const token = overrides.token ?? tokenFrom(config, overrides.secretsManager);
  const spot = new SpotClient({
    baseUrl: config.spotBaseUrl,
    token,
    timeoutMs: config.requestTimeoutMs,
    retryLimit: config.retryLimit,
    retryMaxDelayMs: config.retryMaxDelayMs,
  });
  const processor = new BatchProcessor({
    config,
    spot,
    sqs: overrides.sqs ?? new SQSClient({}),
    logger: overrides.logger ?? createLogger({ level: config.logLevel }),
    onSystemicFailure: () => token.invalidate(),
    ordering: overrides.ordering ?? ledgerFrom(config, overrides.dynamoDb),
    sqsEndpoint: overrides.sqsEndpoint,
    writeMetrics: overrides.writeMetrics,
    service: overrides.service,
  });
  return (event, context) => processor.process(event, context);
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
    leaseSeconds: config.ledgerLeaseSeconds,
    ttlDays: config.ledgerTtlDays,
  });
}
