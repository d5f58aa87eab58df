/**
 * `spot-meta smoke --public-id <test order>`: the check after a deploy. One update for a test order
 * kept for it goes through the deployed source queue; the command waits until the ledger records it
 * or Spot holds it, confirms Spot holds it, puts the order's previous metadata back, and prints one
 * line a part (queue, function, token, Spot, ledger, restore, alarm topic). Exit code: 0 every part
 * checked is good, 3 a part failed (named on its line and in the last one), 1 could not run.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { SpotClient } from "../../lambda/spot/client.ts";
import { queueDepth } from "../../lambda/sqs/queue-depth.ts";
import { appliedVersions } from "../../tools/applied-versions.ts";
import { Producer } from "../../tools/producer.ts";
import { nonEmpty, positiveNumber } from "../shared/arguments.ts";
import { describeFailure } from "../shared/aws-failures.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { ledgerClientFor } from "../shared/ledger.ts";
import { withLedger, withTarget } from "../shared/options.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";
import { sqsClientFor } from "../shared/sqs-client.ts";
import { alarmTopicPart } from "./smoke-alarms.ts";
import { runSmokeCheck, type SmokeDeps } from "./smoke-check.ts";
import { formatParts, type Part, PartState } from "./smoke-parts.ts";
import { resolveSmokeTarget, type SmokeTarget, type SmokeTargetFlags } from "./smoke-target.ts";

/** smoke's exit codes: the CLI's one table (shared/exit-codes.ts). */
export const SMOKE_EXIT_CODES = {
  good: EXIT_CODES.ok,
  checkFailed: EXIT_CODES.needsAction,
  couldNotRun: EXIT_CODES.couldNotRun,
} as const;

interface SmokeFlags extends SmokeTargetFlags {
  publicId: string;
  timeout: number;
}

export function registerSmokeCommand(program: Command, io: CommandIo = processIo): void {
  const command = program
    .command("smoke")
    .description(
      "After a deploy: send one update for a test order through the queue, check it reaches Spot, put the order back",
    )
    .requiredOption(
      "--public-id <id>",
      "the test order, kept for this check: its metadata changes, then is put back",
      nonEmpty,
    )
    .option("--timeout <seconds>", "how long to wait for each update to reach Spot", positiveNumber, 60);
  withLedger(withTarget(command), "to see the update recorded")
    .option("--alarm-topic-arn <arn>", "the alarms' SNS topic (else --outputs)", nonEmpty)
    .action((flags: SmokeFlags) =>
      runCommand(io, "smoke", () => runSmoke(io, flags), {
        // The check has no step to stop at that leaves the order as it was: it finishes, then puts it back.
        stopping: "finishing the check, which puts the test order back; a second Ctrl-C leaves it changed",
      }),
    );
}

async function runSmoke(io: CommandIo, flags: SmokeFlags): Promise<number> {
  const target = resolveSmokeTarget(flags);
  io.err(
    `smoke: ${flags.publicId} through ${target.queue.queueUrl} (from ${target.queue.origin}) to Spot at ${target.spot.baseUrl} (from ${target.spot.origin})\n`,
  );
  const parts = await withDeps(flags, target, async (deps) => [
    ...(await runSmokeCheck(deps)),
    await alarmTopicPart(target.alarmTopicArn, flags.region),
  ]);
  io.out(formatParts(parts));
  const failedParts = parts.filter((part) => part.state === PartState.failed).map((part) => part.name);
  if (failedParts.length === 0) {
    io.out("smoke: good\n");
    return SMOKE_EXIT_CODES.good;
  }
  io.out(`smoke: FAILED: ${failedParts.join(", ")}\n`);
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
    const { visible, inFlight } = await queueDepth(sqs, queueUrl);
    const depth = visible + inFlight;
    return { depth, problem: undefined };
  } catch (error) {
    return { depth: undefined, problem: describeFailure(error) ?? String(error) };
  }
}
