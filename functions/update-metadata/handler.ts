/**
 * Lambda entry point of the SQS event source: wiring only. The configuration is read once, at cold
 * start, so a bad setting fails the init loudly with its name instead of failing every message.
 * X-Ray traces the invocation and each AWS SDK call (queues, ledger, secret); outside Lambda the
 * tracer does nothing. The invocation's own metrics are one EMF line the processor writes.
 */

import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { readConfig } from "../../lib/lambda/config.ts";
import { createUpdateHandler } from "../../lib/lambda/update-handler.ts";

const tracer = new Tracer({ serviceName: "spot-order-metadata" });
const config = readConfig();
// Init runs once per instance: here is its cold start, as a metric (ColdStart, by function_name).
new Metrics({
  namespace: config.metricsNamespace,
  serviceName: "spot-order-metadata",
}).captureColdStartMetric();
const processBatch = createUpdateHandler(config, {
  sqs: tracer.captureAWSv3Client(new SQSClient({})),
  dynamoDb: tracer.captureAWSv3Client(new DynamoDBClient({})),
  secretsManager: tracer.captureAWSv3Client(new SecretsManagerClient({})),
});

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  // The response lists message ids only; traces need not carry it.
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .handler(processBatch);
