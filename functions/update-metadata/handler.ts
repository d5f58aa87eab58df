/**
 * Lambda entry point of the SQS event source: wiring only. The configuration is read once, at cold
 * start, so a bad setting fails the init loudly with its name instead of failing every message.
 * X-Ray traces the invocation and each AWS SDK call (queues, ledger, secret); outside Lambda the
 * tracer does nothing. The instance's one metrics store takes each invocation's counts in turn (Lambda
 * runs one invocation at a time per instance); Powertools' middleware flushes it as one EMF line after
 * each, and adds a `ColdStart` metric on the first.
 */

import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { readConfig } from "../../lib/lambda/config.ts";
import { createMetrics } from "../../lib/lambda/metrics.ts";
import { createBatchHandler } from "../../lib/lambda/update-handler.ts";

const tracer = new Tracer({ serviceName: "spot-order-metadata" });
const config = readConfig();
const metrics = createMetrics(config.metricsNamespace);
const processBatch = createBatchHandler(config, {
  sqs: tracer.captureAWSv3Client(new SQSClient({})),
  dynamoDb: tracer.captureAWSv3Client(new DynamoDBClient({})),
  secretsManager: tracer.captureAWSv3Client(new SecretsManagerClient({})),
});

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  // The response lists message ids only; traces need not carry it.
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler((event, context) => processBatch(event, context, metrics));
