/**
 * An SQS-compatible server in this process (fauxqs), holding the source queue and its DLQ with the
 * settings the CDK stack gives them. Clients reach it over the real SQS protocol. Queue URLs are
 * `<endpoint>/<account>/<name>`: fauxqs's own (`sqs.<region>.127.0.0.1`) are not valid URLs.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings, queueNames } from "../lambda/queue-settings.ts";
import { queueUrlFromArn } from "../lambda/sqs/records.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./local-aws.ts";

export interface EmbeddedSqs {
  endpoint: string;
  region: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  settings: QueueSettings;
  /** A new SDK client pointed at this server. */
  client(): SQSClient;
  stop(): Promise<void>;
}

export interface EmbeddedSqsOptions extends Partial<QueueSettings> {
  /** Queue name prefix. @default "spot-order-metadata" */
  name?: string;
  /** @default 0 (a free port) */
  port?: number;
}

/** Starts fauxqs on a free localhost port and creates the source queue and its DLQ. */
export async function startEmbeddedSqs(options: EmbeddedSqsOptions = {}): Promise<EmbeddedSqs> {
  const { name = "spot-order-metadata", port = 0, ...overrides } = options;
  const settings: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...overrides };
  const server = await startFauxqs({ port, host: "127.0.0.1", logger: false, defaultRegion: LOCAL_REGION });
  const names = queueNames(name, settings.fifo);
  const fifoAttributes: Record<string, string> = settings.fifo ? { FifoQueue: "true" } : {};
  const dlq = server.createQueue(names.dlq, {
    attributes: { ...fifoAttributes, MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
  });
  const source = server.createQueue(names.source, {
    attributes: {
      ...fifoAttributes,
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(settings.retentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: settings.maxReceiveCount,
      }),
    },
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  return {
    endpoint,
    region: LOCAL_REGION,
    queueUrl: queueUrlFromArn(source.queueArn, endpoint),
    queueArn: source.queueArn,
    dlqUrl: queueUrlFromArn(dlq.queueArn, endpoint),
    dlqArn: dlq.queueArn,
    settings,
    client: () => new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    stop: () => server.stop(),
  };
}
