/**
 * Lambda entry point of the SQS event source: wiring only. The configuration is read once, at cold
 * start, so a bad setting fails the init loudly with its name instead of failing every message.
 */
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { readConfig } from "../../lib/config.ts";
import { createUpdateHandler } from "../../lib/update-handler.ts";

const processBatch = createUpdateHandler(readConfig());

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(processBatch);
