/**
 * The deployed pipeline: source queue → Lambda (batches, partial failures) → Spot, with the DLQ, the
 * token secret, the applied-updates ledger, alarms, a dashboard, and a managed policy for producers.
 */
import { Annotations, Aws, CfnOutput, Duration, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { type Grant, type IGrantable, ManagedPolicy, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { EventSourceMapping } from "aws-cdk-lib/aws-lambda";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { PipelineAlarms, type WatchedPipeline } from "./alarms.ts";
import {
  allowCrossAccountProducers,
  grantProduce,
  operatorStatements,
  producerStatement,
} from "./caller-policies.ts";
import {
  type AlarmDestination,
  alarmDestinationOf,
  CONTEXT_KEY,
  NO_ALARM_DESTINATION,
  type StackConfig,
  toHandlerSettings,
  toQueueSettings,
  UNRESERVED,
} from "./config.ts";
import { PipelineDashboard } from "./dashboard.ts";
import { handlerEnvironment } from "./handler-environment.ts";
import { Ledger } from "./ledger.ts";
import { PipelineQueues } from "./queues.ts";
import { spotTokenSecret } from "./token-secret.ts";
import { UpdateFunction } from "./update-function.ts";

/** What the function may do with its source queue: read, delete, and set a failed message's backoff. */
const CONSUMER_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
  // A message handed back on its last receive for a reason not its own (the token, an open circuit,
  // the deadline) is sent again as a new message instead of being dead-lettered by the redrive policy.
  "sqs:SendMessage",
];

export interface SpotOrderMetadataStackProps extends StackProps {
  /** From `readStackConfig` / `resolveStackConfig`. */
  readonly config: StackConfig;
  /** The handler's entry file. @default functions/update-metadata/handler.ts */
  readonly entry?: string;
}

export class SpotOrderMetadataStack extends Stack {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly secret: ISecret;
  readonly ledger: Ledger | undefined;
  readonly updateFunction: UpdateFunction;
  readonly alarms: PipelineAlarms;
  /** Attach to a producer's role (in any stack) to let it send to the source queue. */
  readonly producerPolicy: ManagedPolicy;
  /** Attach to an operator's role to run `spot-meta dlq …` and `spot-meta import`. */
  readonly operatorPolicy: ManagedPolicy;

  /**
   * @throws {ConfigError} (from the handler's configuration) when the settings would not pass the
   *   handler's own validation.
   */
  constructor(scope: Construct, id: string, props: SpotOrderMetadataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const functionName = `${config.namePrefix}-update-metadata`;

    const queues = new PipelineQueues(this, "Queues", {
      namePrefix: config.namePrefix,
      settings: toQueueSettings(config),
    });
    this.queue = queues.source;
    this.dlq = queues.dlq;
    this.secret = spotTokenSecret(this, "SpotToken", config.spotTokenSecret, config.spotTokenSecretKmsKeyArn);
    this.ledger = config.ledger
      ? new Ledger(this, "Ledger", { tableName: `${config.namePrefix}-ledger` })
      : undefined;

    // Each step reads what the steps before it set on `this`, and their order is the template's.
    this.updateFunction = this.updateMetadataFunction(config, functionName, props.entry);
    this.grantFunctionItsResources(config.spotTokenSecretKmsKeyArn);
    this.feedFunctionFromQueue(config);

    this.producerPolicy = this.producerAccess(config.producerPrincipals);
    this.operatorPolicy = this.operatorAccess(config.namePrefix);

    this.alarms = this.alarmsAndDashboard(config, functionName);

    this.outputs(config.namePrefix);
    this.tagEveryResource(config.tags);
  }

  /**
   * Lets a role or function in this app send updates to the source queue: what the producer and
   * `spot-meta import` call on it, and nothing else (see caller-policies.ts).
   */
  grantSend(grantee: IGrantable): Grant {
    return grantProduce(this.queue, grantee);
  }

  /** The handler, configured with the queues, the secret and the ledger it works with. */
  private updateMetadataFunction(
    config: StackConfig,
    functionName: string,
    entry: string | undefined,
  ): UpdateFunction {
    return new UpdateFunction(this, "UpdateMetadata", {
      functionName,
      memorySizeMb: config.memorySizeMb,
      timeoutSeconds: config.timeoutSeconds,
      reservedConcurrency: config.reservedConcurrency === UNRESERVED ? undefined : config.reservedConcurrency,
      tracing: config.tracing,
      logRetentionDays: config.logRetentionDays,
      environment: handlerEnvironment(
        toHandlerSettings(config, {
          dlqUrl: this.dlq.queueUrl,
          // The secret's ARN only: the handler fetches the token at run time.
          spotTokenSecretId: this.secret.secretArn,
          ledgerTable: this.ledger?.table.tableName,
        }),
      ),
      ...(entry === undefined ? {} : { entry }),
    });
  }

  /** What the function's role may do with the queues, the token's secret (and its key) and the ledger. */
  private grantFunctionItsResources(spotTokenSecretKmsKeyArn: string | undefined): void {
    const { role } = this.updateFunction;
    this.queue.grant(role, ...CONSUMER_ACTIONS);
    // The handler dead-letters permanent failures itself, with their reason as attributes.
    this.dlq.grant(role, "sqs:SendMessage");
    this.secret.grantRead(role);
    if (spotTokenSecretKmsKeyArn !== undefined) {
      // CDK's grant would need the key's policy for an imported key; the key's own policy must allow
      // this account's principals (the default key policy does).
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["kms:Decrypt"],
          resources: [spotTokenSecretKmsKeyArn],
          conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
    this.ledger?.grantReadWriteItems(role);
  }

  /** The event source: batches from the source queue, with partial batch failures reported. */
  private feedFunctionFromQueue(config: StackConfig): void {
    new EventSourceMapping(this, "QueueToFunction", {
      target: this.updateFunction.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: config.batchSize,
      ...(config.maxBatchingWindowSeconds > 0
        ? { maxBatchingWindow: Duration.seconds(config.maxBatchingWindowSeconds) }
        : {}),
      reportBatchItemFailures: true,
      maxConcurrency: config.maxConcurrency,
    });
  }

  /** The producers' managed policy, and the queue policy for producers in other accounts. */
  private producerAccess(producerPrincipals: StackConfig["producerPrincipals"]): ManagedPolicy {
    const policy = new ManagedPolicy(this, "ProducerPolicy", {
      description: `Send order metadata updates to ${this.queue.node.path}`,
      statements: [producerStatement(this.queue)],
    });
    allowCrossAccountProducers(this.queue, producerPrincipals);
    return policy;
  }

  /** The operators' managed policy, exported for their roles. */
  private operatorAccess(namePrefix: string): ManagedPolicy {
    const policy = new ManagedPolicy(this, "OperatorPolicy", {
      description: `Run spot-meta dlq and spot-meta import on ${this.queue.node.path} and its DLQ`,
      statements: operatorStatements({ source: this.queue, dlq: this.dlq, ledgerTable: this.ledger?.table }),
    });
    new CfnOutput(this, "OperatorPolicyArn", {
      value: policy.managedPolicyArn,
      description: "Attach to an operator's role to run spot-meta dlq and spot-meta import",
      exportName: `${namePrefix}-OperatorPolicyArn`,
    });
    return policy;
  }

  /** The alarms, and the dashboard that shows them beside the pipeline's metrics. */
  private alarmsAndDashboard(config: StackConfig, functionName: string): PipelineAlarms {
    const watched: WatchedPipeline = {
      namePrefix: config.namePrefix,
      source: this.queue,
      dlq: this.dlq,
      function: this.updateFunction.function,
      functionName,
      metricsNamespace: config.metricsNamespace,
      ledgerTable: this.ledger?.table,
    };
    const alarms = new PipelineAlarms(this, "Alarms", {
      ...watched,
      destination: this.alarmDestination(config.alarmDestination),
      thresholds: config.alarms,
    });
    new PipelineDashboard(this, "Dashboard", { ...watched, alarms });
    return alarms;
  }

  /**
   * Who the alarms reach. With `none`, every synth and deploy says so: the stack's topic has no one
   * subscribed. (Unset is refused before the stack is built: `readStackConfig`.)
   */
  private alarmDestination(setting: string | undefined): AlarmDestination {
    const destination = alarmDestinationOf(setting ?? NO_ALARM_DESTINATION) ?? { kind: "none" };
    if (destination.kind === "none") {
      Annotations.of(this).addWarningV2(
        "spot-order-metadata:no-alarm-destination",
        `${CONTEXT_KEY}.alarmDestination is ${NO_ALARM_DESTINATION}: the alarms reach no one until someone subscribes to the AlarmTopicArn topic. Set it to an e-mail address or an SNS topic's ARN (docs/deploying.md, "Who the alarms reach").`,
      );
    }
    return destination;
  }

  private outputs(namePrefix: string): void {
    const output = (id: string, value: string, description: string, exported = false) =>
      new CfnOutput(this, id, {
        value,
        description,
        ...(exported ? { exportName: `${namePrefix}-${id}` } : {}),
      });
    output("QueueUrl", this.queue.queueUrl, "Where producers send updates", true);
    output("QueueArn", this.queue.queueArn, "The source queue's ARN", true);
    output("DlqUrl", this.dlq.queueUrl, "The dead-letter queue (spot-meta dlq …)");
    output("DlqArn", this.dlq.queueArn, "The dead-letter queue's ARN");
    output("SecretArn", this.secret.secretArn, "Put the Spot token here (put-secret-value)");
    output(
      "FunctionName",
      this.updateFunction.function.functionName,
      "The handler (its logs, its metrics' Service)",
    );
    output("LogGroupName", this.updateFunction.logGroup.logGroupName, "The handler's logs");
    output("AlarmTopicArn", this.alarms.topic.topicArn, "Subscribe to receive the alarms");
    if (this.ledger) {
      output("LedgerTableName", this.ledger.table.tableName, "The applied-updates ledger (DynamoDB)");
    }
    output(
      "ProducerPolicyArn",
      this.producerPolicy.managedPolicyArn,
      "Attach to a producer's role to let it send updates",
      true,
    );
  }

  /** The configured tags (cost reports, ownership) on every resource in the stack. */
  private tagEveryResource(tags: StackConfig["tags"]): void {
    for (const [key, value] of Object.entries(tags)) if (value !== undefined) Tags.of(this).add(key, value);
  }
}
