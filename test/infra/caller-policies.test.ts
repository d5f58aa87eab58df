/**
 * The callers' policies against what the callers really call. The producer, `importCsv` and the
 * `spot-meta dlq …` commands run against the local stack's servers (fauxqs, dynalite) with every
 * SDK call recorded as its IAM action and resource; each policy must allow every recorded call and
 * nothing else, so code and policy cannot drift apart. fauxqs has no message move tasks: `dlq
 * redrive`'s three move-task calls are answered by the recorder (still recorded), its other calls
 * reach fauxqs.
 */
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpotOrderMetadataStack } from "../../infra/stack.ts";
import { failureAttributes } from "../../lib/lambda/sqs/failure-attributes.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../lib/local/embedded-dynamodb.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { importCsv } from "../../lib/tools/csv-import/import-csv.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { type AwsCall, recordAwsCalls, type StandIn } from "../support/aws-calls.ts";
import { type TempDir, tempDir } from "../tools/csv-import/support/files.ts";
import { type CliRun, runDlq } from "../tools/dlq/support.ts";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

const ISSUED_AT = "2026-11-27T10:00:00.000Z";
const PRODUCER_ACCOUNT = "111111111111";
const PRODUCER_ROLE = "arn:aws:iam::222222222222:role/billing/sender";

/** What each caller calls, as `<action> on <source|dlq|ledger>`, sorted and without repeats. */
interface Used {
  producer: string[];
  import: string[];
  dlq: string[];
}

let sqs: EmbeddedSqs | undefined;
let dynamo: EmbeddedDynamoDb | undefined;
let dir: TempDir | undefined;
let used: Used;

beforeAll(async () => {
  sqs = await startEmbeddedSqs();
  dynamo = await startEmbeddedDynamoDb();
  dir = tempDir();
  used = await recordCallers(sqs, dynamo, dir);
}, 60_000);

afterAll(async () => {
  await sqs?.stop();
  await dynamo?.stop();
  dir?.remove();
  cleanUp();
});

describe("ProducerPolicy", () => {
  it("allows every call of the producer and spot-meta import, and nothing else", () => {
    // Prepare
    const { stack } = buildTestApp();

    // Act
    const granted = grantsOf(stack, managedPolicyStatements(stack, "ProducerPolicy"));

    // Assess
    expectExactly(granted, union(used.producer, used.import));
  });
});

describe("grantSend", () => {
  it("grants a role of the app the producer's calls, and nothing else", () => {
    // Prepare
    const { stack } = buildTestApp();
    const producer = new Role(stack, "Producer", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });

    // Act
    stack.grantSend(producer);

    // Assess
    const template = withoutCfnValidation(() => Template.fromStack(stack));
    const [policy] = Object.values(template.findResources("AWS::IAM::Policy")).filter((resource) =>
      JSON.stringify(resource.Properties.Roles).includes(JSON.stringify(stack.resolve(producer.roleName))),
    );
    expectExactly(
      grantsOf(stack, policy?.Properties.PolicyDocument.Statement ?? []),
      union(used.producer, used.import),
    );
  });
});

describe("producerPrincipals (the source queue's policy)", () => {
  it("lets the named accounts and roles make the producer's calls, and nothing else", () => {
    // Prepare
    const { stack } = buildTestApp({ producerPrincipals: [PRODUCER_ACCOUNT, PRODUCER_ROLE] });

    // Act
    const statements = queuePolicyStatements(stack).filter((s) => s.Effect === "Allow");

    // Assess
    expect(statements.map((s) => s.Principal)).toStrictEqual([
      {
        AWS: [
          PRODUCER_ROLE,
          { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:iam::${PRODUCER_ACCOUNT}:root`]] },
        ],
      },
    ]);
    expectExactly(grantsOf(stack, statements), union(used.producer, used.import));
  });

  it("allows nobody else by default", () => {
    // Prepare
    const { stack } = buildTestApp();

    // Act
    const statements = queuePolicyStatements(stack).filter((s) => s.Effect === "Allow");

    // Assess
    expect(statements).toStrictEqual([]);
  });
});

describe("OperatorPolicy", () => {
  it("allows every call of spot-meta dlq … and spot-meta import, and nothing else", () => {
    // Prepare
    const { stack } = buildTestApp();

    // Act
    const granted = grantsOf(stack, managedPolicyStatements(stack, "OperatorPolicy"));

    // Assess
    expectExactly(granted, union(used.dlq, used.import));
  });

  it("grants nothing on a ledger when the stack has none", () => {
    // Prepare
    const { stack } = buildTestApp({ ledger: false });

    // Act
    const granted = grantsOf(stack, managedPolicyStatements(stack, "OperatorPolicy"));

    // Assess
    expectExactly(
      granted,
      union(used.dlq, used.import).filter((call) => !call.endsWith(" on ledger")),
    );
  });

  it("allows what a move task does with the caller's permissions: receive and delete on the DLQ, send to the source queue", () => {
    // Prepare
    const { stack } = buildTestApp();
    // SQS's guide to DLQ redrive lists these as the starter's permissions besides the task's own.
    const onBehalf = [
      "sqs:DeleteMessage on dlq",
      "sqs:GetQueueAttributes on dlq",
      "sqs:ReceiveMessage on dlq",
      "sqs:SendMessage on source",
    ];

    // Act
    const granted = grantsOf(stack, managedPolicyStatements(stack, "OperatorPolicy"));

    // Assess
    expect(onBehalf.filter((call) => !granted.includes(call))).toStrictEqual([]);
  });

  it("is exported as an output, like the producer's", () => {
    // Prepare
    const { stack } = buildTestApp();

    // Act
    const outputs = withoutCfnValidation(() => Template.fromStack(stack)).findOutputs("OperatorPolicyArn");

    // Assess
    expect(outputs.OperatorPolicyArn?.Export).toStrictEqual({
      Name: "spot-order-metadata-OperatorPolicyArn",
    });
  });
});

/** Runs each caller's commands once, recording their calls. */
async function recordCallers(sqs: EmbeddedSqs, dynamo: EmbeddedDynamoDb, dir: TempDir): Promise<Used> {
  const roles = new Map<string, string>([
    [sqs.queueUrl, "source"],
    [sqs.queueArn, "source"],
    [sqs.dlqUrl, "dlq"],
    [sqs.dlqArn, "dlq"],
    [dynamo.table, "ledger"],
    // A task's handle names its source queue: the DLQ (SQS's handles encode its ARN).
    [TASK_HANDLE, "dlq"],
  ]);
  const named = (calls: AwsCall[]) =>
    union(calls.map((c) => `${c.action} on ${roles.get(c.resource) ?? `?${c.resource}`}`));
  const client = sqs.client();
  try {
    const producer = named(
      await recordAwsCalls(async () => {
        const results = await new Producer({
          sqs: client,
          queueUrl: sqs.queueUrl,
          source: "svc:test",
        }).enqueueMany([
          { publicId: "P1", metadata: { cohort: "c1" } },
          { publicId: "P2", metadata: { cohort: "c2" } },
        ]);
        expect(results.map((r) => r.ok)).toStrictEqual([true, true]);
      }),
    );
    const file = dir.write("orders.csv", "public_id,cohort\nI1,c1\nI2,c2\n");
    const imported = named(
      await recordAwsCalls(async () => {
        const summary = await importCsv({ file, target: { sqs: client, queueUrl: sqs.queueUrl } });
        expect(summary.queued).toBe(2);
      }),
    );

    await deadLetter(sqs, ["D1", "D2", "D3"]);
    const target = ["--queue-url", sqs.queueUrl, "--dlq-url", sqs.dlqUrl, "--endpoint-url", sqs.endpoint];
    const ledger = ["--ledger-table", dynamo.table, "--ledger-endpoint-url", dynamo.endpoint];
    const runs: CliRun[] = [];
    let replayRun: CliRun | undefined;
    const dlq = named(
      await recordAwsCalls(async () => {
        // The DLQ found from the source queue's redrive policy, as without --dlq-url.
        runs.push(
          await runDlq(undefined, ["stats"], ["--queue-url", sqs.queueUrl, "--endpoint-url", sqs.endpoint]),
        );
        runs.push(await runDlq(undefined, ["peek", "--public-id", "D1", ...ledger], target));
        runs.push(await runDlq(undefined, ["export", "--out", `${dir.path}/dlq.jsonl`], target));
        runs.push(await runDlq(undefined, ["purge", "--public-id", "D2", "--yes"], target));
        runs.push(await runDlq(undefined, ["purge", "--superseded", "--yes", ...ledger], target));
        replayRun = await runDlq(undefined, ["replay", "--public-id", "D3", "--json", ...ledger], target);
        runs.push(replayRun);
        runs.push(await runDlq(undefined, ["redrive", "--velocity", "10"], target));
        runs.push(await runDlq(undefined, ["redrive", "--status"], target));
        runs.push(await runDlq(undefined, ["redrive", "--cancel"], target));
      }, moveTaskStandIns(sqs)),
    );
    expect(runs.map((run) => [run.code, run.err.match(/spot-meta dlq .*/)?.[0]])).toStrictEqual(
      runs.map(() => [0, undefined]),
    );
    // The replay got as far as its send and delete (after the ledger's lookup).
    const replay = JSON.parse(replayRun?.out ?? "{}") as { replayed?: Array<{ publicId?: string }> };
    expect(replay.replayed?.map((message) => message.publicId)).toStrictEqual(["D3"]);
    return { producer, import: imported, dlq };
  } finally {
    client.destroy();
  }
}

const TASK_HANDLE = "task-handle-1";

/** SQS's answers to the move-task calls, for a task running from the DLQ to the source queue. */
function moveTaskStandIns(sqs: EmbeddedSqs): Record<string, StandIn> {
  const task = {
    TaskHandle: TASK_HANDLE,
    Status: "RUNNING",
    SourceArn: sqs.dlqArn,
    DestinationArn: sqs.queueArn,
    ApproximateNumberOfMessagesMoved: 1,
    ApproximateNumberOfMessagesToMove: 2,
  };
  return {
    StartMessageMoveTaskCommand: () => ({ TaskHandle: TASK_HANDLE }),
    ListMessageMoveTasksCommand: () => ({ Results: [task] }),
    CancelMessageMoveTaskCommand: () => ({ ApproximateNumberOfMessagesMoved: 1 }),
  };
}

/** Puts one valid update per order straight on the DLQ, with the failure the handler would give it. */
async function deadLetter(sqs: EmbeddedSqs, publicIds: string[]): Promise<void> {
  const client = sqs.client();
  try {
    const at = new Date(ISSUED_AT);
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.dlqUrl,
        Entries: publicIds.map((publicId, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({ publicId, metadata: { cohort: "c" }, issuedAt: ISSUED_AT }),
          MessageAttributes: failureAttributes({
            reasonClass: "exhausted",
            reason: "Spot answered 503",
            status: 503,
            details: [],
            attempts: 8,
            firstFailureAt: at,
            lastFailureAt: at,
          }),
        })),
      }),
    );
    expect(result.Failed ?? []).toStrictEqual([]);
  } finally {
    client.destroy();
  }
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
}

function managedPolicyStatements(stack: SpotOrderMetadataStack, id: string): Statement[] {
  const template = withoutCfnValidation(() => Template.fromStack(stack));
  const policies = Object.entries(template.findResources("AWS::IAM::ManagedPolicy")).filter(([logicalId]) =>
    logicalId.startsWith(id),
  );
  expect(policies).toHaveLength(1);
  return policies[0]?.[1].Properties.PolicyDocument.Statement ?? [];
}

/** The statements of the source queue's own policy. */
function queuePolicyStatements(stack: SpotOrderMetadataStack): Statement[] {
  const template = withoutCfnValidation(() => Template.fromStack(stack));
  const source = JSON.stringify(stack.resolve(stack.queue.queueUrl));
  const policies = Object.values(template.findResources("AWS::SQS::QueuePolicy")).filter((policy) =>
    JSON.stringify(policy.Properties.Queues).includes(source),
  );
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement ?? [];
}

/** What the statements allow, as `<action> on <source|dlq|ledger>`, sorted. */
function grantsOf(stack: SpotOrderMetadataStack, statements: Statement[]): string[] {
  const roles = new Map<string, string>([
    [JSON.stringify(stack.resolve(stack.queue.queueArn)), "source"],
    [JSON.stringify(stack.resolve(stack.dlq.queueArn)), "dlq"],
  ]);
  if (stack.ledger) roles.set(JSON.stringify(stack.resolve(stack.ledger.table.tableArn)), "ledger");
  const grants = statements
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) =>
      [statement.Action].flat().flatMap((action) =>
        [statement.Resource].flat().map((resource) => {
          const role = roles.get(JSON.stringify(resource)) ?? `?${JSON.stringify(resource)}`;
          return `${action} on ${role}`;
        }),
      ),
    );
  return union(grants);
}

/** Every used call allowed, every allowed call used. */
function expectExactly(granted: string[], usedCalls: string[]): void {
  expect({ notAllowed: usedCalls.filter((call) => !granted.includes(call)) }).toStrictEqual({
    notAllowed: [],
  });
  expect({ neverUsed: granted.filter((call) => !usedCalls.includes(call)) }).toStrictEqual({ neverUsed: [] });
}

function union(...lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}
