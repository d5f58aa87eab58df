/**
 * An adversarial run of the whole pipeline, for the property "the newest update wins": several
 * producers (two services and a CSV import at once), several pollers, a Spot that lands writes after
 * the client gave up, answers 200 with junk, throttles and resets; a ledger whose writes fail; an
 * invocation that dies between any two steps; DLQ replays during and after the storm.
 *
 * A scenario is plain data drawn by fast-check ({@link scenarioArbitrary}, in adversary-scenario.ts),
 * so a failing one prints in full and shrinks. {@link runScenario} plays it on the local stack and
 * returns what is wrong with the end state (nothing, when the property holds):
 * - every order Spot knows holds the metadata of its greatest (issuedAt, tie-break) valid update;
 * - the ledger records that same version for it;
 * - the source queue is empty, and the DLQ holds exactly the invalid updates and those for an order
 *   Spot does not know, each with its reason.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { LEDGER_KEY, LedgerAttribute } from "../../lib/lambda/ledger/table.ts";
import { silentLogger } from "../../lib/lambda/logger.ts";
import type { OrderingGuard } from "../../lib/lambda/processor/ordering.ts";
import {
  compareVersions,
  parseVersionNumber,
  tieBreakOf,
  type Version,
} from "../../lib/lambda/processor/version.ts";
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import { startLocalStack } from "../../lib/local/local-stack.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import { importCsv } from "../../lib/tools/csv-import/import-csv.ts";
import { UNCLASSIFIED } from "../../lib/tools/dlq/dlq-message.ts";
import { replayMessages } from "../../lib/tools/dlq/replay.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { drainQueue, sendBodies } from "../../test/support/queues.ts";
import {
  LATE_WRITE_WINDOW_SECONDS,
  LEASE_SECONDS,
  orderId,
  type ProducerName,
  REQUEST_TIMEOUT_MS,
  type Scenario,
  type ScenarioUpdate,
  UNKNOWN_ORDER,
} from "./adversary-scenario.ts";

export type { ProducerName, Scenario, ScenarioUpdate } from "./adversary-scenario.ts";
export { scenarioArbitrary } from "./adversary-scenario.ts";

interface Sent {
  publicId: string;
  metadata: Record<string, unknown>;
  version: Version;
}

/**
 * Plays a scenario on a fresh local stack.
 * @returns what is wrong with the end state; empty when the property holds
 */
export async function runScenario(scenario: Scenario): Promise<string[]> {
  const dice = seededDice(scenario.seed);
  const stack = await startLocalStack({
    logger: silentLogger,
    onMetrics: () => {},
    queues: { visibilityTimeoutSeconds: 2, maxReceiveCount: 5 },
    sandbox: { seedCount: scenario.orders, seed: scenario.seed, faults: { latencyMs: { min: 1, max: 15 } } },
    handler: {
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryLimit: 1,
      retryMaxDelayMs: 50,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 1,
      deadlineMarginMs: 400,
      lateWriteWindowSeconds: LATE_WRITE_WINDOW_SECONDS,
      ledgerLeaseSeconds: LEASE_SECONDS,
      maxReceiveCount: 5,
    },
    eventSource: { pollers: scenario.pollers, batchSize: 5, batchingWindowMs: 20, functionTimeoutMs: 2_500 },
    wrapOrdering: (ledger) => faultyLedger(ledger, scenario, dice),
    wrapHandler: (handler) => async (event, context) => {
      if (dice() < scenario.crashRate / 2) throw new Error("injected crash before the handler");
      const response = await handler(event, context);
      if (dice() < scenario.crashRate / 2) throw new Error("injected crash after the handler answered");
      return response;
    },
  });
  const folder = await mkdtemp(join(tmpdir(), "spot-meta-adversary-"));
  const problems: string[] = [];
  try {
    stack.sandbox.setFaults({ latencyMs: { min: 1, max: 15 }, random: scenario.faults });
    const sent = await produce(scenario, stack, folder);

    // The storm, a replay of what it dead-lettered while it still blows, then calm and a last replay.
    await stack.waitUntilDrained({ timeoutMs: 60_000 });
    await replayAll(stack);
    await stack.waitUntilDrained({ timeoutMs: 60_000 });
    stack.sandbox.setFaults({});
    await stack.sandbox.settled();
    await replayAll(stack);
    await stack.waitUntilDrained({ timeoutMs: 60_000 });
    await stack.eventSource.stop();
    await stack.sandbox.settled();

    problems.push(...(await judge(scenario, sent, stack)));
  } catch (error) {
    problems.push(`the run did not finish: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stack.stop();
    await rm(folder, { recursive: true, force: true });
  }
  return problems;
}

/** Sends the scenario's updates: two services and a CSV import, all at once. */
async function produce(
  scenario: Scenario,
  stack: Awaited<ReturnType<typeof startLocalStack>>,
  folder: string,
): Promise<Sent[]> {
  const target = { sqs: stack.sqs, queueUrl: stack.queues.queueUrl };
  const metadataOf = (update: ScenarioUpdate, i: number) => ({
    value: update.value,
    from: update.producer,
    i,
  });
  const sent: Sent[] = [];
  const service = async (producer: ProducerName) => {
    const mine = scenario.updates.map((u, i) => ({ u, i })).filter(({ u }) => u.producer === producer);
    const now = Date.now();
    const messages = mine.map(({ u, i }) => ({
      publicId: orderId(u.order),
      metadata: metadataOf(u, i),
      issuedAt: new Date(now - u.ageMs).toISOString(),
    }));
    for (const m of messages) {
      sent.push({
        publicId: m.publicId,
        metadata: m.metadata,
        version: { issuedAt: Date.parse(m.issuedAt), tieBreak: tieBreakOf(m.metadata) },
      });
    }
    const results = await new Producer({ ...target, source: `svc:${producer}` }).enqueueMany(messages);
    if (results.some((r) => !r.ok)) throw new Error(`${producer}: some updates were not queued`);
  };
  const csv = async () => {
    const rows = scenario.updates.map((u, i) => ({ u, i })).filter(({ u }) => u.producer === "csv");
    if (rows.length === 0) return;
    const file = join(folder, "orders.csv");
    const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
    const lines = rows.map(({ u, i }) => `${orderId(u.order)},${quote(JSON.stringify(metadataOf(u, i)))}`);
    await writeFile(file, `public_id,metadata\n${lines.join("\n")}\n`);
    const summary = await importCsv({ file, target });
    // The import sends the last row of each order, dated the import's start.
    const issuedAt = Date.parse(summary.startedAt);
    const last = new Map(rows.map(({ u, i }) => [orderId(u.order), metadataOf(u, i)]));
    for (const [publicId, metadata] of last) {
      sent.push({ publicId, metadata, version: { issuedAt, tieBreak: tieBreakOf(metadata) } });
    }
  };
  const broken = async () => {
    const bodies = [
      ...Array.from({ length: scenario.unknownOrderUpdates }, (_, i) => ({
        publicId: UNKNOWN_ORDER,
        metadata: { i },
        issuedAt: new Date().toISOString(),
      })),
      ...Array.from({ length: scenario.invalidUpdates }, (_, i) =>
        i % 2 === 0
          ? { publicId: "../kits/X", metadata: {} }
          : { publicId: orderId(0), metadata: { frozen: true }, issuedAt: "9999-12-31T23:59:59Z" },
      ),
    ];
    // Sent raw: the typed producer would refuse them, as it should.
    await sendBodies(stack.sqs, stack.queues.queueUrl, bodies);
  };
  await Promise.all([service("service-a"), service("service-b"), csv(), broken()]);
  return sent;
}

/** The on-call engineer's replay: everything in the DLQ except what cannot succeed. */
async function replayAll(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<void> {
  await replayMessages({
    sqs: stack.sqs,
    dlqUrl: stack.queues.dlqUrl,
    sourceQueueUrl: stack.queues.queueUrl,
    filter: { reasonClasses: [ReasonClass.exhausted, UNCLASSIFIED] },
    ratePerSecond: 500,
    waitTimeSeconds: 0,
  });
}

/**
 * The ledger with its faults: calls that fail (a throttle past the SDK's retries), and invocations
 * that die at a ledger call: after admission, before the record, or after it. A dying invocation
 * never returns; the queue poller times it out, and its records come back.
 */
function faultyLedger(ledger: OrderingGuard, scenario: Scenario, dice: () => number): OrderingGuard {
  const hang = () => new Promise<never>(() => {});
  const maybeFail = () => {
    if (dice() < scenario.ledgerFailureRate) {
      throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
        name: "ProvisionedThroughputExceededException",
      });
    }
  };
  return {
    async admit(...args) {
      maybeFail();
      const admission = await ledger.admit(...args);
      if (dice() < scenario.ledgerCrashRate) return hang();
      return admission;
    },
    async recordApplied(...args) {
      if (dice() < scenario.ledgerCrashRate) return hang();
      maybeFail();
      const recorded = await ledger.recordApplied(...args);
      if (dice() < scenario.ledgerCrashRate) return hang();
      return recorded;
    },
    async settle(...args) {
      maybeFail();
      return ledger.settle(...args);
    },
    async release(...args) {
      maybeFail();
      return ledger.release(...args);
    },
  };
}

async function judge(
  scenario: Scenario,
  sent: Sent[],
  stack: Awaited<ReturnType<typeof startLocalStack>>,
): Promise<string[]> {
  const problems: string[] = [];
  const newest = new Map<string, Sent>();
  for (const update of sent) {
    const current = newest.get(update.publicId);
    if (current === undefined || compareVersions(update.version, current.version) > 0)
      newest.set(update.publicId, update);
  }
  const dynamo = stack.dynamoDb;
  for (const [publicId, update] of newest) {
    const held = stack.sandbox.metadataOf(publicId);
    if (JSON.stringify(held) !== JSON.stringify(update.metadata)) {
      const by = stack.sandbox.lastCommitOf(publicId);
      problems.push(
        `${publicId}: Spot holds ${JSON.stringify(held)} (written by a request with fault ${by?.fault ?? "none"}), not the newest ${JSON.stringify(update.metadata)}`,
      );
    }
    if (dynamo === undefined) continue;
    const { Item } = await dynamo.client().send(
      new GetItemCommand({
        TableName: dynamo.table,
        Key: { [LEDGER_KEY]: { S: publicId } },
        ConsistentRead: true,
      }),
    );
    const order = Item?.[LedgerAttribute.appliedOrder]?.N;
    const recorded = order === undefined ? undefined : parseVersionNumber(order);
    if (recorded === undefined || compareVersions(recorded, update.version) !== 0) {
      problems.push(
        `${publicId}: the ledger records ${JSON.stringify(recorded)}, not the applied ${JSON.stringify(update.version)}`,
      );
    }
  }
  const queued = await stack.queueDepth(stack.queues.queueUrl);
  if (queued.visible + queued.inFlight + queued.delayed > 0)
    problems.push(`the source queue still holds ${JSON.stringify(queued)}`);
  const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);
  const unexplained = dead.filter((letter) => letter.failure === undefined);
  if (unexplained.length > 0) problems.push(`${unexplained.length} dead letters carry no reason`);
  const known = dead.filter(
    (letter) => letter.publicId !== UNKNOWN_ORDER && letter.failure?.reasonClass !== ReasonClass.invalid,
  );
  if (known.length > 0) {
    problems.push(
      `dead-lettered though they could be applied: ${known.map((l) => `${l.publicId} (${l.failure?.reason})`).join("; ")}`,
    );
  }
  // Each invalid body, and the newest update of the unknown order (older ones may be superseded by
  // it in a batch). At least, not exactly: a crash between the DLQ write and the answer writes twice.
  const invalid = dead.filter((letter) => letter.failure?.reasonClass === ReasonClass.invalid).length;
  if (invalid < scenario.invalidUpdates)
    problems.push(`the DLQ holds ${invalid} invalid updates, not ${scenario.invalidUpdates}`);
  const unknown = dead.filter((letter) => letter.publicId === UNKNOWN_ORDER).length;
  if (scenario.unknownOrderUpdates > 0 && unknown === 0)
    problems.push("no update of the unknown order is in the DLQ");
  return problems;
}
