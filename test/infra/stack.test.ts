import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../infra/update-function.ts";
import { envName, readConfig } from "../../lib/lambda/config.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";
import { buildTestApp, cleanUp, templateOf, withoutCfnValidation } from "./synth.ts";

afterAll(cleanUp);

const FUNCTION_NAME = "spot-order-metadata-update-metadata";
const DENY_WITHOUT_TLS = Match.objectLike({
  Effect: "Deny",
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

/** The one function's properties in a template. */
function functionProps(template: Template): Record<string, unknown> {
  const [fn] = Object.values(template.findResources("AWS::Lambda::Function"));
  return fn?.Properties as Record<string, unknown>;
}

/** The function role's policy statements, as `{ actions, resource }` with resources left as CloudFormation wrote them. */
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

function roleStatements(template: Template): { Action: unknown; Resource: unknown }[] {
  const policies = Object.values(template.findResources("AWS::IAM::Policy"));
  expect(policies).toHaveLength(1);
  return (policies[0]?.Properties.PolicyDocument.Statement ?? []).map(
    (s: { Action: unknown; Resource: unknown }) => ({ Action: s.Action, Resource: s.Resource }),
  );
}

function logicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe("the default stack", () => {
  const template = templateOf();

  it("has a source queue with SQS-managed encryption, a visibility of 6 × timeout + window, and a redrive to the DLQ", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "spot-order-metadata",
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 60 + 5,
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^QueuesDlq"), "Arn"] },
        maxReceiveCount: 8,
      },
    });
  });

  it("has a DLQ that keeps messages 14 days, longer than the source", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "spot-order-metadata-dlq",
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it("refuses requests without TLS on both queues", () => {
    template.resourcePropertiesCountIs(
      "AWS::SQS::QueuePolicy",
      { PolicyDocument: { Statement: Match.arrayWith([DENY_WITHOUT_TLS]) } },
      2,
    );
  });

  it("runs the handler on Node.js 24, arm64, with the configured memory and timeout, logging JSON to its own group", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: FUNCTION_NAME,
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 256,
      Timeout: 60,
      // Other functions cannot starve it: what the event source may run at once is its own.
      ReservedConcurrentExecutions: 2,
      Handler: "index.handler",
      LoggingConfig: { LogFormat: "JSON", LogGroup: { Ref: Match.stringLikeRegexp("^UpdateMetadataLogs") } },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("gives the function the environment the handler reads, with source maps on and no secret value", () => {
    // Prepare
    const variables = (functionProps(template).Environment as { Variables: Record<string, unknown> })
      .Variables;

    // Act: deploy-time values (Refs) stand in as URLs/strings, as CloudFormation will resolve them.
    const { NODE_OPTIONS, POWERTOOLS_SERVICE_NAME, ...handlerEnv } = variables;
    const resolved = Object.fromEntries(
      Object.entries(handlerEnv).map(([k, v]) => [
        k,
        typeof v === "string" ? v : "https://resolved.invalid/x",
      ]),
    );
    const config = readConfig(resolved);

    // Assess
    expect([NODE_OPTIONS, POWERTOOLS_SERVICE_NAME]).toStrictEqual([
      "--enable-source-maps",
      "spot-order-metadata",
    ]);
    expect(config).toMatchObject({
      spotBaseUrl: "https://app.spotdx.com",
      maxReceiveCount: 8,
      concurrency: 5,
      requestsPerSecond: 20,
      ledgerTtlDays: 90,
      metricsNamespace: "SpotOrderMetadata",
    });
    expect(variables[envName("spotTokenSecretId")]).toStrictEqual({
      Ref: logicalId(template, "AWS::SecretsManager::Secret"),
    });
    expect(variables[envName("dlqUrl")]).toStrictEqual({ Ref: expect.stringMatching(/^QueuesDlq/) });
    expect(variables[envName("ledgerTable")]).toStrictEqual({
      Ref: logicalId(template, "AWS::DynamoDB::Table"),
    });
    expect(variables).not.toHaveProperty(envName("spotToken"));
  });

  it("feeds the function batches with partial failures, a window and bounded concurrency", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^QueuesSource"), "Arn"] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it("runs the function under its own role with no AWS managed policy", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "lambda.amazonaws.com" } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it("lets the function do exactly what it needs: its logs, traces, queues, one secret, ledger items", () => {
    // Prepare
    const ref = (type: string) => ({ Ref: logicalId(template, type) });
    const arn = (prefix: string) => ({ "Fn::GetAtt": [expect.stringMatching(prefix), "Arn"] });

    // Act
    const statements = roleStatements(template);

    // Assess
    expect(statements).toStrictEqual([
      { Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: arn("^UpdateMetadataLogs") },
      { Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
      {
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
          "sqs:SendMessage",
        ],
        Resource: arn("^QueuesSource"),
      },
      { Action: "sqs:SendMessage", Resource: arn("^QueuesDlq") },
      {
        Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        Resource: ref("AWS::SecretsManager::Secret"),
      },
      {
        Action: ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
        Resource: arn("^LedgerTable"),
      },
    ]);
  });

  it("creates the token secret empty, for an operator to fill, and keeps it when the stack is deleted or replaces it", () => {
    template.hasResource("AWS::SecretsManager::Secret", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { GenerateSecretString: Match.absent(), SecretString: Match.absent() },
    });
  });

  it("keeps the ledger keyed by publicId, on demand, with point-in-time recovery, encryption, TTL, named, protected and retained", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        TableName: "spot-order-metadata-ledger",
        DeletionProtectionEnabled: true,
        KeySchema: [{ AttributeName: "publicId", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "publicId", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: Match.absent(), KMSMasterKeyId: Match.absent() },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      },
    });
  });

  it("offers producers a managed policy that may only check and send to the source queue", () => {
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      PolicyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Action: ["sqs:GetQueueAttributes", "sqs:SendMessage"],
            Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("^QueuesSource"), "Arn"] },
          },
        ],
      },
    });
  });

  it("sends alarms to a topic that only accepts TLS and lets this account's alarms publish", () => {
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          DENY_WITHOUT_TLS,
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
          }),
        ]),
      },
    });
    template.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it.each([
    [
      "dlq-not-empty",
      "AWS/SQS",
      "ApproximateNumberOfMessagesVisible",
      "Maximum",
      60,
      0,
      "GreaterThanThreshold",
    ],
    [
      "oldest-message-too-old",
      "AWS/SQS",
      "ApproximateAgeOfOldestMessage",
      "Maximum",
      300,
      3600,
      "GreaterThanThreshold",
    ],
    ["function-errors", "AWS/Lambda", "Errors", "Sum", 300, 1, "GreaterThanOrEqualToThreshold"],
    ["function-throttles", "AWS/Lambda", "Throttles", "Sum", 300, 1, "GreaterThanOrEqualToThreshold"],
    [
      "dlq-message-too-old",
      "AWS/SQS",
      "ApproximateAgeOfOldestMessage",
      "Maximum",
      300,
      259_200,
      "GreaterThanThreshold",
    ],
    [
      "recursive-loop-dropped",
      "AWS/Lambda",
      "RecursiveInvocationsDropped",
      "Sum",
      300,
      1,
      "GreaterThanOrEqualToThreshold",
    ],
  ])("alarms on %s", (name, namespace, metric, statistic, period, threshold, operator) => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: `spot-order-metadata-${name}`,
      AlarmDescription: Match.anyValue(),
      Namespace: namespace,
      MetricName: metric,
      Statistic: statistic,
      Period: period,
      Threshold: threshold,
      ComparisonOperator: operator,
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: Match.stringLikeRegexp("^AlarmsTopic") }],
      OKActions: [{ Ref: Match.stringLikeRegexp("^AlarmsTopic") }],
    });
  });

  it("alarms on the handler's SystemicFailures metric (EMF, dimension Service = the function's name)", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "spot-order-metadata-systemic-failures",
      Namespace: "SpotOrderMetadata",
      MetricName: "SystemicFailures",
      Dimensions: [{ Name: "Service", Value: FUNCTION_NAME }],
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [{ Ref: Match.stringLikeRegexp("^AlarmsTopic") }],
    });
  });

  it("alarms on Spot's answers drifting from its documented order (the handler's Drift metric)", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "spot-order-metadata-spot-drift",
      Namespace: "SpotOrderMetadata",
      MetricName: "Drift",
      Dimensions: [{ Name: "Service", Value: FUNCTION_NAME }],
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [{ Ref: Match.stringLikeRegexp("^AlarmsTopic") }],
    });
  });

  it("alarms on a message going round as hand-backs for longer than the source queue's age threshold", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "spot-order-metadata-handed-back-too-long",
      Namespace: "SpotOrderMetadata",
      MetricName: "OldestHandBackAgeSeconds",
      Dimensions: [{ Name: "Service", Value: FUNCTION_NAME }],
      Statistic: "Maximum",
      Period: 300,
      Threshold: 3600,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it.each([
    ["ledger-throttles", "ThrottledRequests"],
    ["ledger-errors", "SystemErrors"],
  ])("alarms on %s: the ledger's %s, for its reads and writes", (name, metricName) => {
    // Act
    const [alarm] = Object.values(
      template.findResources("AWS::CloudWatch::Alarm", {
        Properties: { AlarmName: `spot-order-metadata-${name}` },
      }),
    );

    // Assess
    const metrics = alarm?.Properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string } } }>;
    const names = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []));
    expect(names).toStrictEqual([metricName, metricName]);
  });

  it("traces the function with X-Ray, and tags every resource from the configuration", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: FUNCTION_NAME,
      TracingConfig: { Mode: "Active" },
      Tags: Match.arrayWith([{ Key: "service", Value: "spot-order-metadata" }]),
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      Tags: Match.arrayWith([{ Key: "service", Value: "spot-order-metadata" }]),
    });
  });

  it("keeps both queues when the stack is deleted or replaces them", () => {
    const queues = Object.values(template.findResources("AWS::SQS::Queue"));
    expect(queues.map((q) => [q.DeletionPolicy, q.UpdateReplacePolicy])).toStrictEqual([
      ["Retain", "Retain"],
      ["Retain", "Retain"],
    ]);
  });

  it("names the dashboard for its region, since dashboards are global to the account", () => {
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: { "Fn::Join": ["", ["spot-order-metadata-", { Ref: "AWS::Region" }]] },
    });
  });

  it("lets the function loop through its own queue, which the handler bounds", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: FUNCTION_NAME,
      RecursiveLoop: "Allow",
      Environment: { Variables: Match.objectLike({ SPOT_META_MAX_HAND_BACK_AGE_SECONDS: "345600" }) },
    });
  });

  it("has a dashboard with the handler's outcome metrics", () => {
    // Prepare
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));

    // Act
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    // Assess
    for (const name of [
      "Applied",
      "Superseded",
      "DeadLettered",
      "Retried",
      "SystemicFailures",
      "HandBackPace",
      "HandBackBusyLease",
      "OldestHandBackAgeSeconds",
      "SpotCalls",
      "Refused",
      "PacePerSecond",
    ]) {
      expect(body).toContain(`\\"SpotOrderMetadata\\",\\"${name}\\",\\"Service\\",\\"${FUNCTION_NAME}\\"`);
    }
    // Each instance's pace is one sample per invocation: its spread across instances shows.
    for (const statistic of ["average", "minimum", "maximum"]) {
      expect(body).toContain(`PacePerSecond (${statistic})`);
    }
  });

  it("outputs what producers and operators need, exporting what other stacks import", () => {
    // Act
    const outputs = template.findOutputs("*");

    // Assess
    expect(Object.keys(outputs).sort()).toStrictEqual(
      [
        "AlarmTopicArn",
        "DlqArn",
        "DlqUrl",
        "FunctionName",
        "LedgerTableName",
        "LogGroupName",
        "OperatorPolicyArn",
        "ProducerPolicyArn",
        "QueueArn",
        "QueueUrl",
        "SecretArn",
      ].sort(),
    );
    expect(outputs.ProducerPolicyArn?.Export).toStrictEqual({
      Name: "spot-order-metadata-ProducerPolicyArn",
    });
    expect(outputs.QueueUrl?.Export).toStrictEqual({ Name: "spot-order-metadata-QueueUrl" });
  });
});

describe("configured variants", () => {
  it("lets the function decrypt a secret encrypted with a customer-managed key, through Secrets Manager only", () => {
    // Act
    const template = templateOf({
      spotTokenSecret: "spot/token",
      spotTokenSecretKmsKeyArn: KEY_ARN,
    });

    // Assess
    const [policy] = Object.values(template.findResources("AWS::IAM::Policy"));
    const statements = policy?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements.find((s) => s.Action === "kms:Decrypt")).toStrictEqual({
      Action: "kms:Decrypt",
      Condition: {
        StringEquals: {
          "kms:ViaService": {
            "Fn::Join": ["", ["secretsmanager.", { Ref: "AWS::Region" }, ".amazonaws.com"]],
          },
        },
      },
      Effect: "Allow",
      Resource: KEY_ARN,
    });
  });

  it("reserves no concurrency when told so (an account whose quota is still 10 cannot reserve any)", () => {
    templateOf({ reservedConcurrency: "none" }).hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: FUNCTION_NAME,
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it("passes traces through only when tracing is off (it costs about $0.27 a million updates)", () => {
    templateOf({ tracing: false }).hasResourceProperties("AWS::Lambda::Function", {
      TracingConfig: { Mode: "PassThrough" },
    });
  });

  it("tags every resource with the configured owner and cost centre", () => {
    const template = templateOf({ tags: { owner: "care-platform", costCentre: "CC-42" } });
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      Tags: Match.arrayWith([
        { Key: "costCentre", Value: "CC-42" },
        { Key: "owner", Value: "care-platform" },
      ]),
    });
  });

  it("applies the configured values", () => {
    // Act
    const template = templateOf({
      namePrefix: "meta-staging",
      memorySizeMb: 1024,
      timeoutSeconds: 120,
      batchSize: 5,
      maxBatchingWindowSeconds: 20,
      maxConcurrency: 8,
      handlerConcurrency: 3,
      requestsPerSecond: 4,
      maxReceiveCount: 10,
      queueRetentionSeconds: 7 * 24 * 3600,
      logRetentionDays: 90,
      ledgerTtlDays: 30,
      spotBaseUrl: "https://sandbox.spotdx.example",
      metricsNamespace: "MetaStaging",
      alarms: { oldestMessageAgeSeconds: 7200, functionErrors: 3 },
      handler: { logLevel: "debug" },
    });

    // Assess
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "meta-staging",
      VisibilityTimeout: 6 * 120 + 20,
      MessageRetentionPeriod: 7 * 24 * 3600,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }),
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "meta-staging-update-metadata",
      MemorySize: 1024,
      ReservedConcurrentExecutions: 8,
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          SPOT_META_SPOT_BASE_URL: "https://sandbox.spotdx.example",
          SPOT_META_MAX_RECEIVE_COUNT: "10",
          SPOT_META_CONCURRENCY: "3",
          SPOT_META_REQUESTS_PER_SECOND: "4",
          SPOT_META_LEDGER_TTL_DAYS: "30",
          SPOT_META_METRICS_NAMESPACE: "MetaStaging",
          SPOT_META_LOG_LEVEL: "debug",
        }),
      },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 8 },
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "meta-staging-oldest-message-too-old",
      Threshold: 7200,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "meta-staging-function-errors",
      Threshold: 3,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "meta-staging-systemic-failures",
      Namespace: "MetaStaging",
      Dimensions: [{ Name: "Service", Value: "meta-staging-update-metadata" }],
    });
  });

  it("takes single settings from -c spotOrderMetadata.<key>=<value> context", () => {
    // Prepare
    const { stack } = buildTestApp(
      { memorySizeMb: 256 },
      { extraContext: { "spotOrderMetadata.memorySizeMb": "2048" } },
    );

    // Act
    const template = withoutCfnValidation(() => Template.fromStack(stack));

    // Assess
    template.hasResourceProperties("AWS::Lambda::Function", { MemorySize: 2048 });
  });

  it("builds a FIFO pair: names end in .fifo, no content-based deduplication, no batching window", () => {
    // Act
    const template = templateOf({ fifo: true });

    // Assess
    for (const name of ["spot-order-metadata.fifo", "spot-order-metadata-dlq.fifo"]) {
      template.hasResourceProperties("AWS::SQS::Queue", {
        QueueName: name,
        FifoQueue: true,
        ContentBasedDeduplication: false,
        SqsManagedSseEnabled: true,
      });
    }
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "spot-order-metadata.fifo",
      VisibilityTimeout: 6 * 60,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      MaximumBatchingWindowInSeconds: Match.absent(),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("uses an existing secret by name: no secret created, read access to that one only", () => {
    // Act
    const template = templateOf({ spotTokenSecret: "prod/spot-token" });

    // Assess
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    const secretStatement = roleStatements(template).find((s) => String(s.Action).includes("secretsmanager"));
    expect(JSON.stringify(secretStatement?.Resource)).toContain(":secret:prod/spot-token-??????");
    const variables = (functionProps(template).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(JSON.stringify(variables[envName("spotTokenSecretId")])).toContain(":secret:prod/spot-token");
  });

  it("uses an existing secret by complete ARN, passing that ARN to the function", () => {
    // Prepare
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/spot-token-AbC123";

    // Act
    const template = templateOf({ spotTokenSecret: arn });

    // Assess
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    const variables = (functionProps(template).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables[envName("spotTokenSecretId")]).toBe(arn);
    const secretStatement = roleStatements(template).find((s) => String(s.Action).includes("secretsmanager"));
    expect(secretStatement?.Resource).toBe(arn);
    expect(template.findOutputs("SecretArn").SecretArn?.Value).toBe(arn);
  });

  it("without the ledger: no table, no ledger setting, no DynamoDB permission, no table output", () => {
    // Act
    const template = templateOf({ ledger: false });

    // Assess
    template.resourceCountIs("AWS::DynamoDB::Table", 0);
    const variables = (functionProps(template).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables).not.toHaveProperty(envName("ledgerTable"));
    expect(variables).not.toHaveProperty(envName("ledgerTtlDays"));
    expect(JSON.stringify(roleStatements(template))).not.toContain("dynamodb:");
    expect(Object.keys(template.findOutputs("LedgerTableName"))).toStrictEqual([]);
  });

  it("subscribes the alarm e-mail address when one is configured", () => {
    // Act
    const template = templateOf({ alarmDestination: "oncall@example.com" });

    // Assess
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
      TopicArn: { Ref: Match.stringLikeRegexp("^AlarmsTopic") },
    });
  });

  it("sends every alarm to an existing topic instead of a topic of its own", () => {
    // Prepare
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:oncall";

    // Act
    const template = templateOf({ alarmDestination: topicArn });

    // Assess
    template.resourceCountIs("AWS::SNS::Topic", 0);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toStrictEqual([
        [topicArn],
        [topicArn],
      ]);
    }
    expect(template.findOutputs("AlarmTopicArn").AlarmTopicArn?.Value).toBe(topicArn);
  });

  it("with alarmDestination none, keeps its topic with no one subscribed and warns on every synth", () => {
    // Act
    const { stack } = buildTestApp({ alarmDestination: "none" });
    const template = withoutCfnValidation(() => Template.fromStack(stack));

    // Assess
    template.resourceCountIs("AWS::SNS::Topic", 1);
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    withoutCfnValidation(() => Annotations.fromStack(stack)).hasWarning(
      "/spot-order-metadata",
      Match.stringLikeRegexp("^spotOrderMetadata.alarmDestination is none: the alarms reach no one"),
    );
  });

  it("refuses a stack whose alarms would reach no one, naming the setting and how to set it", () => {
    // Act
    const act = () => buildTestApp({ alarmDestination: undefined });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(
      /spotOrderMetadata\.alarmDestination: not set, so the alarms would reach no one\. Set it to an e-mail address \(-c spotOrderMetadata\.alarmDestination=oncall@example\.com\), to an existing SNS topic's ARN, or to none/,
    );
  });

  it("refuses as committed (cdk.json with no -c): a deploy from a clone must name who the alarms reach", () => {
    // Prepare
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as {
      context: { spotOrderMetadata?: Record<string, unknown> };
    };
    const committed = cdkJson.context.spotOrderMetadata?.alarmDestination;

    // Act
    const act = () => buildTestApp({ alarmDestination: committed });

    // Assess
    expect(act).toThrow(/spotOrderMetadata\.alarmDestination: not set/);
  });

  it("names a missing alarm destination with every other problem, at once", () => {
    // Act
    const act = () => buildTestApp({ alarmDestination: undefined, batchSize: 20 });

    // Assess
    expect(act).toThrow(/spotOrderMetadata\.batchSize[\s\S]*spotOrderMetadata\.alarmDestination: not set/);
  });

  it("fails the synth with every configuration problem named", () => {
    // Act
    const act = () => buildTestApp({ batchSize: 20, memorySize: 1024 });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/spotOrderMetadata\.batchSize[\s\S]*spotOrderMetadata\.memorySize: unknown setting/);
  });
});

describe("grantSend", () => {
  it("lets a principal check and send to the source queue and nothing else", () => {
    // Prepare
    const { stack } = buildTestApp();
    const producer = new Role(stack, "Producer", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });

    // Act
    stack.grantSend(producer);

    // Assess
    const template = withoutCfnValidation(() => Template.fromStack(stack));
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [stack.resolve(producer.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Action: ["sqs:GetQueueAttributes", "sqs:SendMessage"],
            Resource: stack.resolve(stack.queue.queueArn),
          },
        ],
      },
    });
  });
});
