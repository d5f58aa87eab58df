/**
 * The producers of an adversarial scenario: two services and a CSV import at once, a producer that
 * sends some bodies twice, dates some near the clock-skew limit or forges their `history`, the
 * updates for orders Spot does not know and the bodies that break the contract. Returns what was
 * sent, with what the checker must know of each update (adversary-judge.ts).
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type MessageAttributeValue, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Metadata } from "../../lib/lambda/contract.ts";
import { tieBreakOf, type Version } from "../../lib/lambda/processor/version.ts";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import { importCsv } from "../../lib/tools/csv-import/import-csv.ts";
import { Producer } from "../../lib/tools/producer.ts";
import {
  MAX_CLOCK_SKEW_SECONDS,
  orderId,
  type ProducerName,
  REFUSED_FIELD,
  type Scenario,
  type ScenarioUpdate,
  SKEW_OFFSET_MS,
  UNKNOWN_ORDER,
  unknownRunOrderId,
} from "./adversary-scenario.ts";

/**
 * The attribute's name on the wire. Written out here rather than imported from the handler: the
 * forgery is a producer's, and must not follow the handler's module if it moves.
 */
const HISTORY_ATTRIBUTE = "history";
/** How much later a "later" duplicate is sent: after the first copy was most likely applied. */
const LATER_DUPLICATE_MS = 1_500;

/** An update of a known order that reached the queue, with what decides whether it is valid. */
export interface Sent {
  publicId: string;
  metadata: Record<string, unknown>;
  version: Version;
  /** Spot refuses it every time, with this status. */
  refusedWith?: 400 | 422;
  /** Dated past the clock-skew limit: invalid when the handler reads it so. */
  skewOutside?: boolean;
  /** The forged `history` attribute it carried. */
  history?: string;
}

export interface Produced {
  sent: Sent[];
  /** The orders Spot does not know that updates were sent for. */
  unknownOrders: string[];
  /** The bodies that break the contract, as sent. */
  invalidBodies: string[];
}

interface Raw {
  body: string;
  publicId: string;
  history?: string;
}

type Target = Pick<LocalStack, "sqs"> & { queueUrl: string; fifo: boolean };

/** Sends the scenario's updates: two services, a CSV import and a broken producer, all at once. */
export async function produce(scenario: Scenario, stack: LocalStack, folder: string): Promise<Produced> {
  const target: Target = { sqs: stack.sqs, queueUrl: stack.queues.queueUrl, fifo: scenario.fifo };
  const produced: Produced = { sent: [], unknownOrders: [], invalidBodies: [] };
  await Promise.all([
    service(scenario, "service-a", target, produced),
    service(scenario, "service-b", target, produced),
    csv(scenario, target, folder, produced),
    broken(scenario, target, produced),
  ]);
  return produced;
}

const metadataOf = (update: ScenarioUpdate, i: number): Metadata => ({
  value: update.value,
  from: update.producer,
  i,
  ...(update.refusedWith === undefined ? {} : { [REFUSED_FIELD[update.refusedWith]]: true }),
});

/** A service's updates: through the typed producer, but those with a forged history go raw. */
async function service(scenario: Scenario, producer: ProducerName, target: Target, produced: Produced) {
  const mine = scenario.updates.map((u, i) => ({ u, i })).filter(({ u }) => u.producer === producer);
  const now = Date.now();
  const skewLimitMs = now + MAX_CLOCK_SKEW_SECONDS * 1000;
  const messages = mine.map(({ u, i }) => {
    const issuedAt = u.skew === undefined ? now - u.ageMs : skewLimitMs + SKEW_OFFSET_MS[u.skew];
    const message = { publicId: orderId(u.order), metadata: metadataOf(u, i), issuedAt: iso(issuedAt) };
    produced.sent.push({
      publicId: message.publicId,
      metadata: message.metadata,
      version: { issuedAt, tieBreak: tieBreakOf(message.metadata) },
      ...(u.refusedWith === undefined ? {} : { refusedWith: u.refusedWith }),
      ...(u.skew === "outside" ? { skewOutside: true } : {}),
      ...(u.history === undefined ? {} : { history: u.history }),
    });
    return { u, message };
  });
  const typed = new Producer({ sqs: target.sqs, queueUrl: target.queueUrl, source: `svc:${producer}` });
  const send = async (batch: typeof messages) => {
    const forged = batch.filter(({ u }) => u.history !== undefined);
    const plain = batch.filter(({ u }) => u.history === undefined).map(({ message }) => message);
    const results = await typed.enqueueMany(plain);
    if (results.some((r) => !r.ok)) throw new Error(`${producer}: some updates were not queued`);
    await sendRaw(
      target,
      forged.map(({ u, message }) => ({
        body: JSON.stringify(message),
        publicId: message.publicId,
        history: u.history,
      })),
    );
  };
  await send([...messages, ...messages.filter(({ u }) => u.duplicate === "together")]);
  const later = messages.filter(({ u }) => u.duplicate === "later");
  if (later.length === 0) return;
  await new Promise((resolve) => setTimeout(resolve, LATER_DUPLICATE_MS));
  await send(later);
}

/** The CSV import: it sends the last row of each order, dated the import's start. */
async function csv(scenario: Scenario, target: Target, folder: string, produced: Produced) {
  const rows = scenario.updates.map((u, i) => ({ u, i })).filter(({ u }) => u.producer === "csv");
  if (rows.length === 0) return;
  const file = join(folder, "orders.csv");
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
  const lines = rows.map(({ u, i }) => `${orderId(u.order)},${quote(JSON.stringify(metadataOf(u, i)))}`);
  await writeFile(file, `public_id,metadata\n${lines.join("\n")}\n`);
  const summary = await importCsv({ file, target });
  const issuedAt = Date.parse(summary.startedAt);
  const last = new Map(rows.map(({ u, i }) => [orderId(u.order), { u, metadata: metadataOf(u, i) }]));
  for (const [publicId, { u, metadata }] of last) {
    produced.sent.push({
      publicId,
      metadata,
      version: { issuedAt, tieBreak: tieBreakOf(metadata) },
      ...(u.refusedWith === undefined ? {} : { refusedWith: u.refusedWith }),
    });
  }
}

/** Updates for orders Spot does not know (the run's in one call), and bodies that break the contract. */
async function broken(scenario: Scenario, target: Target, produced: Produced) {
  const update = (publicId: string, metadata: Record<string, unknown>) => ({
    body: JSON.stringify({ publicId, metadata, issuedAt: new Date().toISOString() }),
    publicId,
  });
  const unknown = Array.from({ length: scenario.unknownOrderUpdates }, (_, i) =>
    update(UNKNOWN_ORDER, { i }),
  );
  const run = Array.from({ length: scenario.unknownOrderRun }, (_, i) =>
    update(unknownRunOrderId(i), { run: i }),
  );
  const invalid = Array.from({ length: scenario.invalidUpdates }, (_, i) =>
    i % 2 === 0
      ? { body: JSON.stringify({ publicId: "../kits/X", metadata: {} }), publicId: "invalid" }
      : {
          body: JSON.stringify({
            publicId: orderId(0),
            metadata: { frozen: true },
            issuedAt: "9999-12-31T23:59:59Z",
          }),
          publicId: orderId(0),
        },
  );
  produced.unknownOrders.push(...new Set([...unknown, ...run].map((raw) => raw.publicId)));
  produced.invalidBodies.push(...invalid.map((raw) => raw.body));
  // Sent raw: the typed producer would refuse the invalid ones, as it should.
  await Promise.all([sendRaw(target, [...unknown, ...invalid]), sendRaw(target, run)]);
}

/**
 * Sends bodies as they are, ten a call, with a `history` attribute when given; on FIFO queues in the
 * order's group, deduplicated by content (a producer's retry of the same body is dropped, as SQS does).
 */
async function sendRaw(target: Target, raws: Raw[]): Promise<void> {
  for (let start = 0; start < raws.length; start += 10) {
    const chunk = raws.slice(start, start + 10);
    const result = await target.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: target.queueUrl,
        Entries: chunk.map((raw, index) => ({
          Id: String(index),
          MessageBody: raw.body,
          ...(raw.history === undefined ? {} : { MessageAttributes: historyAttribute(raw.history) }),
          ...(target.fifo
            ? { MessageGroupId: raw.publicId, MessageDeduplicationId: digest(`${raw.body}\n${raw.history}`) }
            : {}),
        })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`send failed: ${JSON.stringify(result.Failed)}`);
  }
}

function historyAttribute(text: string): Record<string, MessageAttributeValue> {
  return { [HISTORY_ATTRIBUTE]: { DataType: "String", StringValue: text } };
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");
const iso = (ms: number) => new Date(ms).toISOString();
