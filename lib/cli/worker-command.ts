/**
 * `spot-meta worker`: runs the handler against a real queue from this machine (or any SQS-compatible
 * endpoint), polling like Lambda's event source mapping does. Its settings are the handler's own
 * `SPOT_META_*` variables, so what runs here is what runs in Lambda; outside Lambda the token may
 * come from `SPOT_META_SPOT_TOKEN`.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { envName, type HandlerConfig, readConfig } from "../config.ts";
import { ConfigError, SpotMetaError } from "../errors.ts";
import { LocalEventSource } from "../local/event-source.ts";
import { createLogger } from "../logger.ts";
import { createUpdateHandler } from "../update-handler.ts";
import { sqsClientFor } from "./sqs-client.ts";
import { resolveTarget } from "./target.ts";

interface WorkerFlags {
  queueUrl?: string;
  endpointUrl?: string;
  region?: string;
  outputs?: string;
  pollers: number;
  batchSize: number;
  windowMs: number;
  timeoutSeconds: number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description(
      "Consume a queue with the handler until Ctrl-C (settings: the SPOT_META_* variables, see README).",
    )
    .option(
      "--queue-url <url>",
      "the source queue (else SPOT_META_QUEUE_URL, --outputs, or a running `spot-meta dev`)",
    )
    .option("--endpoint-url <url>", "a non-AWS SQS endpoint")
    .option("--region <region>", "the queue's region")
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`")
    .option("--pollers <n>", "concurrent pollers (like Lambda instances)", Number, 1)
    .option("--batch-size <n>", "records per invocation (at most 10)", Number, 10)
    .option("--window-ms <ms>", "how long to gather a batch", Number, 1000)
    .option("--timeout-seconds <s>", "an invocation's deadline, like the function's timeout", Number, 60)
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await runWorker(flags);
    });
}

async function runWorker(flags: WorkerFlags): Promise<number> {
  try {
    const settings = readConfig();
    const target = resolveTarget(flags);
    const sqs = sqsClientFor(target);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: target.queueUrl,
        AttributeNames: ["QueueArn", "RedrivePolicy"],
      }),
    );
    const queueArn = Attributes?.QueueArn ?? "";
    const config = workerConfig(settings, target.queueUrl, Attributes?.RedrivePolicy);
    const logger = createLogger({ level: config.logLevel });
    const source = new LocalEventSource({
      sqs,
      queueUrl: target.queueUrl,
      queueArn,
      region: queueArn.split(":")[3] ?? "",
      handler: createUpdateHandler(config, { sqs, logger, sqsEndpoint: target.endpoint }),
      pollers: flags.pollers,
      batchSize: flags.batchSize,
      batchingWindowMs: flags.windowMs,
      functionTimeoutMs: flags.timeoutSeconds * 1000,
      waitTimeSeconds: 20,
      onPollError: (error) => logger.warn({ error: String(error) }, "poll failed; retrying"),
    }).start();
    process.stderr.write(`spot-meta worker: consuming ${target.queueUrl} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    process.stderr.write("stopping: finishing the invocations in flight…\n");
    await source.stop();
    return 0;
  } catch (error) {
    if (!(error instanceof SpotMetaError)) throw error;
    process.stderr.write(`spot-meta worker: ${error.message}\n`);
    return 1;
  }
}

/**
 * The handler's settings for this queue: its `maxReceiveCount` is the queue's redrive policy's, so
 * the two cannot drift, and a DLQ that is the source queue itself is refused.
 * @throws {ConfigError} when SPOT_META_DLQ_URL names the source queue
 */
export function workerConfig(
  config: HandlerConfig,
  queueUrl: string,
  redrivePolicy: string | undefined,
): HandlerConfig {
  const queueName = (url: string) => new URL(url).pathname.split("/").filter(Boolean).at(-1);
  if (queueName(config.dlqUrl) === queueName(queueUrl)) {
    throw new ConfigError([`${envName("dlqUrl")}: is the source queue itself (${queueUrl}); name its DLQ`]);
  }
  const maxReceiveCount = Number(
    (JSON.parse(redrivePolicy ?? "{}") as { maxReceiveCount?: unknown }).maxReceiveCount,
  );
  return Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? { ...config, maxReceiveCount } : config;
}
