/**
 * `dlq replay` of messages that SQS's own redrive moved to the DLQ (the handler crashed on them
 * `maxReceiveCount` times), so their bodies never got an `issuedAt`. On fauxqs with the stack's
 * redrive policy, and the ledger's table on dynalite: the replay stamps each such body with its
 * original enqueue time, and checks that version against the ledger. The tests run in order on one DLQ.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEDGER_KEY, LedgerAttribute } from "../../../lib/lambda/ledger/table.ts";
import { versionNumber } from "../../../lib/lambda/processor/version.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../../lib/local/embedded-sqs.ts";
import { UNCLASSIFIED } from "../../../lib/tools/dlq/dlq-message.ts";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import { orderId, receiveAll, waitFor } from "../../support/queues.ts";
import { readWhole, runDlq } from "./support.ts";

const ORDERS = [orderId(1), orderId(2), orderId(3)];
const [REPLAYED, SUPERSEDED, OLDER_APPLIED] = ORDERS as [string, string, string];

let sqs: EmbeddedSqs;
let ledger: EmbeddedDynamoDb;
let client: SQSClient;
/** publicId → the SentTimestamp the source queue gave its message (epoch ms). */
const firstSentAt = new Map<string, number>();

beforeAll(async () => {
  sqs = await startEmbeddedSqs({ maxReceiveCount: 2 });
  ledger = await startEmbeddedDynamoDb();
  client = sqs.client();
  for (const publicId of ORDERS) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: sqs.queueUrl,
        MessageBody: JSON.stringify({ publicId, metadata: { v: "crashed" } }),
      }),
    );
  }
  await redriveEverything();
  // A replay stamping the time it runs would differ from the original by at least this.
  await new Promise((resolve) => setTimeout(resolve, 50));
}, 30_000);
afterAll(async () => {
  client?.destroy();
  await Promise.all([sqs?.stop(), ledger?.stop()]);
});

/**
 * What a handler that crashes on every message leaves: each is received past `maxReceiveCount` and
 * never deleted, so SQS's redrive policy moves it to the DLQ. Notes each message's SentTimestamp.
 */
async function redriveEverything(): Promise<void> {
  await waitFor(
    async () => {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      for (const message of Messages) {
        const { publicId } = JSON.parse(message.Body ?? "{}") as { publicId: string };
        if (!firstSentAt.has(publicId)) firstSentAt.set(publicId, Number(message.Attributes?.SentTimestamp));
      }
      const { Messages: left = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: sqs.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      return left.length === ORDERS.length;
    },
    10_000,
    "every message moved to the DLQ by the redrive policy",
  );
}

/** The ledger's item of an order applied at `issuedAt` (tie-break 0), as the handler writes it. */
function appliedInLedger(publicId: string, issuedAt: number): Promise<unknown> {
  return ledger.client().send(
    new PutItemCommand({
      TableName: ledger.table,
      Item: {
        [LEDGER_KEY]: { S: publicId },
        [LedgerAttribute.appliedVersion]: { N: String(issuedAt) },
        [LedgerAttribute.appliedOrder]: { N: versionNumber({ issuedAt, tieBreak: 0 }) },
      },
    }),
  );
}

describe("dlq replay of a message SQS's redrive moved", () => {
  it("finds it without issuedAt, with the SentTimestamp it had on the source queue as its version", async () => {
    // Act
    const messages = await readWhole(client, sqs.dlqUrl);

    // Assess: fauxqs keeps the enqueue time on a redrive, as SQS does for standard queues
    const found = messages
      .map((m) => [m.publicId, JSON.parse(m.body).issuedAt, m.reasonClass, m.sentAt?.getTime(), m.version])
      .sort();
    expect(found).toStrictEqual(
      ORDERS.map((id) => [id, undefined, UNCLASSIFIED, firstSentAt.get(id), firstSentAt.get(id)]),
    );
  });

  it("puts it back stamped with its original enqueue time as issuedAt, not the replay's", async () => {
    // Act
    const summary = await replayMessages({
      sqs: client,
      dlqUrl: sqs.dlqUrl,
      sourceQueueUrl: sqs.queueUrl,
      filter: { publicIds: [REPLAYED] },
      waitTimeSeconds: 0,
    });

    // Assess
    expect(summary.replayed.map((r) => r.publicId)).toStrictEqual([REPLAYED]);
    const sent = await receiveAll(client, sqs.queueUrl);
    expect(sent.map((m) => JSON.parse(m.Body ?? ""))).toStrictEqual([
      {
        publicId: REPLAYED,
        metadata: { v: "crashed" },
        issuedAt: new Date(firstSentAt.get(REPLAYED) ?? 0).toISOString(),
      },
    ]);
    expect(Number(sent[0]?.Attributes?.SentTimestamp)).toBeGreaterThan(firstSentAt.get(REPLAYED) ?? 0);
  });

  it("with --ledger-table, skips it when the ledger holds a newer version, by that original time", async () => {
    // Prepare: a newer update of one order was applied while its crashed one sat in the DLQ (still
    // older than now, which a replay without the stamp would give); the other's applied one is older.
    const sentAt = (publicId: string) => firstSentAt.get(publicId) ?? 0;
    await appliedInLedger(SUPERSEDED, sentAt(SUPERSEDED) + 1);
    await appliedInLedger(OLDER_APPLIED, sentAt(OLDER_APPLIED) - 1);

    // Act
    const run = await runDlq(
      undefined,
      ["replay", "--json", "--ledger-table", ledger.table, "--ledger-endpoint-url", ledger.endpoint],
      ["--queue-url", sqs.queueUrl, "--dlq-url", sqs.dlqUrl, "--endpoint-url", sqs.endpoint],
    );

    // Assess
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out);
    expect(summary.replayed.map((r: { publicId: string }) => r.publicId)).toStrictEqual([OLDER_APPLIED]);
    expect(
      summary.skipped["superseded-by-ledger"].map((r: { publicId: string }) => r.publicId),
    ).toStrictEqual([SUPERSEDED]);
    const sent = await receiveAll(client, sqs.queueUrl);
    expect(sent.map((m) => JSON.parse(m.Body ?? "").issuedAt)).toStrictEqual([
      new Date(sentAt(OLDER_APPLIED)).toISOString(),
    ]);
    const left = await readWhole(client, sqs.dlqUrl);
    expect(left.map((m) => m.publicId)).toStrictEqual([SUPERSEDED]);
  });
});
