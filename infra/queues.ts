/**
 * The source queue and its dead-letter queue, with the settings in lib/lambda/queue-settings.ts (the local
 * stack creates its embedded queues from the same values).
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type QueueSettings, queueNames } from "../lib/lambda/queue-settings.ts";

export interface PipelineQueuesProps {
  /** Queue names are `<namePrefix>` and `<namePrefix>-dlq` (plus `.fifo`). */
  readonly namePrefix: string;
  readonly settings: QueueSettings;
}

/** The source queue (what producers send to) and the DLQ it redrives to after `maxReceiveCount` receives. */
export class PipelineQueues extends Construct {
  readonly source: Queue;
  readonly dlq: Queue;

  constructor(scope: Construct, id: string, props: PipelineQueuesProps) {
    super(scope, id);
    const { settings } = props;
    const names = queueNames(props.namePrefix, settings.fifo);
    const common = {
      // They hold messages not yet applied (up to 14 days in the DLQ): a stack deleted, or a change
      // that replaces them (fifo on or off), leaves them in the account to drain or replay.
      removalPolicy: RemovalPolicy.RETAIN,
      // SQS-managed keys: encrypted at rest with no KMS key to pay for or grant to each producer.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      ...(settings.fifo ? fifoProps : {}),
    };
    this.dlq = new Queue(this, "Dlq", {
      ...common,
      queueName: names.dlq,
      retentionPeriod: Duration.seconds(settings.dlqRetentionSeconds),
    });
    this.source = new Queue(this, "Source", {
      ...common,
      queueName: names.source,
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.retentionSeconds),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: settings.maxReceiveCount },
    });
  }
}

const fifoProps = {
  fifo: true,
  // The producer sets a deduplication id per update: two updates with the same body are still two updates.
  contentBasedDeduplication: false,
  // High-throughput FIFO: ordering only matters within a message group (one order), so a bulk import
  // is not held to one group's throughput.
  deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
  fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
} as const;
