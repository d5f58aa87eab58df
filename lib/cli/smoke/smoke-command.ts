/**
 * `spot-meta smoke --public-id <test order>`: the check after a deploy. One update for a test order
 * kept for it goes through the deployed source queue; the command waits until the ledger records it
 * or Spot holds it, confirms Spot holds it, puts the order's previous metadata back, and prints one
 * line a part (queue, function, token, Spot, ledger, restore, alarm topic). Exit code: 0 every part
 * checked is good, 2 a part failed (named on its line and in the last one), 1 could not run.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { SpotClient } from "../../lambda/spot/client.ts";
import { appliedVersions } from "../../tools/applied-versions.ts";
import { Producer } from "../../tools/producer.ts";
import { positiveNumber } from "../shared/arguments.ts";
import { describeFailure } from "../shared/aws-failures.ts";
import { ledgerClientFor } from "../shared/ledger.ts";
import { sqsClientFor } from "../shared/sqs-client.ts";
import { alarmTopicPart } from "./smoke-alarms.ts";
import { runSmokeCheck, type SmokeDeps } from "./smoke-check.ts";
import { formatParts, type Part, PartState } from "./smoke-parts.ts";
import { resolveSmokeTarget, type SmokeTarget, type SmokeTargetFlags } from "./smoke-target.ts";

export const SMOKE_EXIT_CODES = { good: 0, checkFailed: 2, couldNotRun: 1 } as const;

interface SmokeFlags extends SmokeTargetFlags {
  publicId: string;
  timeout: number;
}

export function registerSmokeCommand(program: Command): void {
  program
    .command("smoke")
    .description(
      "After a deploy: send one update for a test order through the queue, check it reaches Spot, put the order back",
    )
    .requiredOption(
      "--public-id <id>",
      "the test order, kept for this check: its metadata changes, then is put back",
    )
    .option("--timeout <seconds>", "how long to wait for each update to reach Spot", positiveNumber, 60)
    .option(
      "--queue-url <url>",
      "the source queue (else SPOT_META_QUEUE_URL, --outputs, or the running `spot-meta dev`)",
    )
    .option("--endpoint-url <url>", "send the SQS calls here (default: the queue URL's own endpoint)")
    .option("--region <region>", "the queue's, the ledger's and the topic's region")
    .option(
      "--outputs <file>",
      "the JSON of `cdk deploy --outputs-file` (QueueUrl, LedgerTableName, SecretArn, AlarmTopicArn)",
    )
    .option(
      "--ledger-table <name>",
      "the applied-updates ledger (else --outputs, or the running `spot-meta dev`'s)",
    )
    .option("--ledger-endpoint-url <url>", "a non-AWS DynamoDB endpoint for --ledger-table")
    .option("--alarm-topic-arn <arn>", "the alarms' SNS topic (else --outputs)")
    .action(async (flags: SmokeFlags) => {
      process.exitCode = await runSmoke(flags);
    });
}

async function runSmoke(flags: SmokeFlags): Promise<number> {
  let target: SmokeTarget;
  try {
    target = resolveSmokeTarget(flags);
  } catch (error) {
    const line = describeFailure(error);
    if (line === undefined) throw error;
    process.stderr.write(`spot-meta smoke: ${line}\n`);
    return SMOKE_EXIT_CODES.couldNotRun;
  }
  process.stderr.write(
    `smoke: ${flags.publicId} through ${target.queue.queueUrl} (from ${target.queue.origin}) to Spot at ${target.spot.baseUrl} (from ${target.spot.origin})\n`,
  );
  const parts = await withDeps(flags, target, async (deps) => [
    ...(await runSmokeCheck(deps)),
    await alarmTopicPart(target.alarmTopicArn, flags.region),
  ]);
  process.stdout.write(formatParts(parts));
  const failedParts = parts.filter((part) => part.state === PartState.failed).map((part) => part.name);
  if (failedParts.length === 0) {
    process.stdout.write("smoke: good\n");
    return SMOKE_EXIT_CODES.good;
  }
  process.stdout.write(`smoke: FAILED: ${failedParts.join(", ")}\n`);
  return SMOKE_EXIT_CODES.checkFailed;
}

/** The clients the check needs, closed when it ends. */
async function withDeps(
  flags: SmokeFlags,
  target: SmokeTarget,
  use: (deps: SmokeDeps) => Promise<Part[]>,
): Promise<Part[]> {
  const sqs = sqsClientFor(target.queue);
  const ledger = target.ledger === undefined ? undefined : ledgerClientFor(target.ledger);
  const spot = new SpotClient({
    baseUrl: target.spot.baseUrl,
    token: target.spot.token,
    timeoutMs: 5_000,
    retryLimit: 1,
    retryMaxDelayMs: 1_000,
    retryBaseDelayMs: 200,
  });
  const producer = new Producer({
    sqs,
    queueUrl: target.queue.queueUrl,
    source: "cli:smoke",
    maxAttempts: 2,
  });
  try {
    return await use({
      publicId: flags.publicId,
      baseUrl: target.spot.baseUrl,
      timeoutMs: flags.timeout * 1000,
      pollMs: 500,
      readOrder: () => spot.getOrder(flags.publicId),
      send: (update) => producer.enqueue(update),
      probeQueue: async () => (await depthOf(sqs, target.queue.queueUrl)).problem,
      queueDepth: async () => (await depthOf(sqs, target.queue.queueUrl)).depth,
      appliedVersion:
        ledger === undefined
          ? undefined
          : async () =>
              (await appliedVersions(ledger.client, ledger.table, [flags.publicId])).get(flags.publicId),
      describeLedgerError: (error) =>
        `cannot read the ledger ${ledger?.table}: ${describeFailure(error) ?? String(error)}`,
    });
  } finally {
    sqs.destroy();
    ledger?.client.destroy();
  }
}

async function depthOf(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ depth: number | undefined; problem: string | undefined }> {
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    const depth =
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    return { depth, problem: undefined };
  } catch (error) {
    return { depth: undefined, problem: describeFailure(error) ?? String(error) };
  }
}
