/**
 * `dlq purge --superseded` removes only what a newer applied update has overtaken, by the handler's
 * rule (issuedAt, then the metadata's tie-break), read from the ledger on dynalite in batches; and
 * `dlq peek` counts every match and shows each message's issuedAt (and the ledger's version). One
 * DLQ on fauxqs and one ledger for the file; the tests run in order, the purges last.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUpdate } from "../../../lib/lambda/contract.ts";
import { DynamoLedger } from "../../../lib/lambda/ledger/dynamo-ledger.ts";
import { metadataDigest } from "../../../lib/lambda/ledger/metadata-digest.ts";
import { versionOf } from "../../../lib/lambda/processor/plan.ts";
import { tieBreakOf, type Version } from "../../../lib/lambda/processor/version.ts";
import { failureAttributes } from "../../../lib/lambda/sqs/failure-attributes.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../../lib/local/embedded-sqs.ts";
import type { ExportedMessage } from "../../../lib/tools/dlq/export.ts";
import { appliedVersionsOf, versionOfMessage } from "../../../lib/tools/dlq/superseded.ts";
import { sqsRecord } from "../../support/records.ts";
import { dlqMessage } from "./messages.ts";
import { readWhole, runDlq } from "./support.ts";

const T1 = "2026-11-27T10:00:00.000Z";
const T2 = "2026-11-27T11:00:00.000Z";
/** Two metadata of one order, ordered by their tie-break: the ledger's HIGH overtakes the DLQ's LOW. */
const [X, Y] = [{ k: "x" }, { k: "y" }];
const [LOW, HIGH] = tieBreakOf(X) < tieBreakOf(Y) ? [X, Y] : [Y, X];

interface Seed {
  publicId: string;
  issuedAt?: string;
  metadata?: Record<string, string>;
  status?: number;
  /** What the ledger holds for the order; none when absent. */
  applied?: { issuedAt: string; metadata: Record<string, string> };
}

/** The DLQ: which the ledger overtakes (A1, C3, G7, H8) and which it does not. */
const SEEDS: Seed[] = [
  { publicId: "A1", issuedAt: T1, applied: { issuedAt: T2, metadata: { k: "a" } } },
  { publicId: "B2", issuedAt: T2, metadata: { k: "b" }, applied: { issuedAt: T2, metadata: { k: "b" } } },
  { publicId: "C3", issuedAt: T2, metadata: LOW, applied: { issuedAt: T2, metadata: HIGH } },
  { publicId: "D4", issuedAt: T2, applied: { issuedAt: T1, metadata: { k: "d" } } },
  { publicId: "E5", issuedAt: T1 },
  { publicId: "G7", issuedAt: T1, status: 400, applied: { issuedAt: T2, metadata: { k: "g" } } },
  // No issuedAt: its version is its enqueue time (now), which the ledger's, an hour ahead, overtakes.
  {
    publicId: "H8",
    applied: { issuedAt: new Date(Date.now() + 3_600_000).toISOString(), metadata: { k: "h" } },
  },
];

let sqs: EmbeddedSqs;
let db: EmbeddedDynamoDb;
let target: string[];
let ledgerFlags: string[];
const out = join(tmpdir(), `dlq-superseded-${process.pid}.jsonl`);

beforeAll(async () => {
  [sqs, db] = await Promise.all([startEmbeddedSqs(), startEmbeddedDynamoDb()]);
  target = ["--queue-url", sqs.queueUrl, "--dlq-url", sqs.dlqUrl, "--endpoint-url", sqs.endpoint];
  ledgerFlags = ["--ledger-table", db.table, "--ledger-endpoint-url", db.endpoint];
  await Promise.all([fillLedger(), fillDlq()]);
});
afterAll(async () => {
  rmSync(out, { force: true });
  await Promise.all([sqs?.stop(), db?.stop()]);
});

/** Records each applied version as the handler does: admitted, then applied. */
async function fillLedger(): Promise<void> {
  const client = db.client();
  const ledger = new DynamoLedger({ client, table: db.table });
  for (const { publicId, applied } of SEEDS) {
    if (applied === undefined) continue;
    const version: Version = {
      issuedAt: Date.parse(applied.issuedAt),
      tieBreak: tieBreakOf(applied.metadata),
    };
    const admission = await ledger.admit(publicId, version, Date.now() + 60_000);
    if (admission.kind !== "acquired") throw new Error(`seeding ${publicId}: ${admission.kind}`);
    await ledger.recordApplied(admission.lease, {
      messageId: "applier",
      digest: metadataDigest(applied.metadata),
    });
  }
  client.destroy();
}

async function fillDlq(): Promise<void> {
  const entries: SendMessageBatchRequestEntry[] = SEEDS.map((seed, i) => ({
    Id: String(i),
    MessageBody: JSON.stringify({
      publicId: seed.publicId,
      metadata: seed.metadata ?? { k: "old" },
      ...(seed.issuedAt === undefined ? {} : { issuedAt: seed.issuedAt }),
    }),
    // H8 is what SQS's redrive policy moves: no failure attributes.
    MessageAttributes:
      seed.issuedAt === undefined
        ? {}
        : failureAttributes({
            reasonClass: "permanent",
            reason: `Spot answered ${seed.status ?? 404}`,
            status: seed.status ?? 404,
            details: [],
            attempts: 1,
            firstFailureAt: new Date(T2),
            lastFailureAt: new Date(T2),
          }),
  }));
  entries.push({
    Id: "invalid",
    MessageBody: "{not json",
    MessageAttributes: failureAttributes({
      reasonClass: "invalid",
      reason: "body: not JSON",
      details: [],
      attempts: 1,
      firstFailureAt: new Date(T2),
      lastFailureAt: new Date(T2),
    }),
  });
  const client = sqs.client();
  await client.send(new SendMessageBatchCommand({ QueueUrl: sqs.dlqUrl, Entries: entries }));
  client.destroy();
}

async function inDlq(): Promise<string[]> {
  const client = sqs.client();
  const messages = await readWhole(client, sqs.dlqUrl);
  client.destroy();
  return messages.map((message) => message.publicId ?? message.body).sort();
}

describe("dlq peek", () => {
  it("counts every match, not only those it shows, and shows each message's issuedAt", async () => {
    const run = await runDlq(undefined, ["peek", "--status", "404", "--limit", "2"], target);

    expect(run.code).toBe(0);
    expect(run.out).toContain("showing 2 of 5 matching (--limit to see more)");
    expect(run.out.match(/^ {2}issued {3}2026-11-27T1[01]:00:00Z \(/gm)).toHaveLength(2);
    expect(await inDlq()).toHaveLength(8);
  });

  it("says when the issuedAt is the enqueue time, and with a ledger, the version it holds", async () => {
    const stamped = await runDlq(undefined, ["peek", "--public-id", "H8"], target);
    const withLedger = await runDlq(undefined, ["peek", "--public-id", "C3,D4", ...ledgerFlags], target);
    const json = await runDlq(undefined, ["peek", "--public-id", "C3,E5", "--json", ...ledgerFlags], target);

    expect(stamped.out).toMatch(/issued {3}\S+ \(.+\), its first enqueue time \(the body has none\)/);
    expect(stamped.out).toContain("1 matching, all shown");
    expect(withLedger.out).toMatch(
      /C3 .*\n(.*\n)*? {2}ledger {3}2026-11-27T11:00:00Z \(.+\) applied, newer: superseded/,
    );
    expect(withLedger.out).toMatch(
      /D4 .*\n(.*\n)*? {2}ledger {3}2026-11-27T10:00:00Z \(.+\) applied, not newer/,
    );
    const byId = Object.fromEntries(
      JSON.parse(json.out).messages.map((m: { publicId: string }) => [m.publicId, m]),
    );
    expect(byId.C3).toMatchObject({ issuedAt: T2, appliedIssuedAt: T2, superseded: true });
    expect(byId.E5).toMatchObject({ issuedAt: T1, appliedIssuedAt: null, superseded: false });
  });
});

describe("dlq purge --superseded", () => {
  it("refuses in one line without a ledger, before anything else", async () => {
    const run = await runDlq(undefined, ["purge", "--superseded", "--yes"], target);

    expect(run.code).toBe(1);
    expect(run.err).toBe(
      "spot-meta dlq purge: --superseded needs the ledger to tell what is superseded: pass --ledger-table NAME (with --ledger-endpoint-url URL for a non-AWS endpoint), or run it beside `spot-meta dev`\n",
    );
    expect(await inDlq()).toHaveLength(8);
  });

  it("without --yes says what a newer applied update supersedes, and removes nothing", async () => {
    const run = await runDlq(undefined, ["purge", "--superseded", ...ledgerFlags], target);

    expect(run.code).toBe(0);
    expect(run.err).toContain(`superseded check: the ledger table ${db.table}`);
    expect(run.out).toContain("would remove 4 of 8 read; nothing removed (add --yes to remove them)");
    expect(run.out).toContain("superseded by a newer applied update: A1, C3, G7, H8");
    expect(run.out).toContain("left 4 in the DLQ: selected by the filter, but not superseded");
    expect(await inDlq()).toHaveLength(8);
  });

  it("with --yes and another filter removes only what both select, after exporting it", async () => {
    const run = await runDlq(
      undefined,
      ["purge", "--superseded", "--status", "404", "--yes", "--export", out, ...ledgerFlags],
      target,
    );

    expect(run.code).toBe(0);
    expect(run.out).toContain("removed 2 of 2 selected (8 read)");
    const exported = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as ExportedMessage).publicId);
    expect(exported.sort()).toStrictEqual(["A1", "C3"]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(await inDlq()).toStrictEqual(["B2", "D4", "E5", "G7", "H8", "{not json"]);
  });
});

describe("the ledger's versions", () => {
  it("are read 100 orders a call, each order once", async () => {
    const messages = Array.from({ length: 250 }, (_, i) =>
      dlqMessage({ publicId: `P${i % 230}`, issuedAt: T1 }),
    );
    const calls: number[] = [];

    const applied = await appliedVersionsOf(async (ids) => {
      calls.push(ids.length);
      return new Map(ids.map((id) => [id, { issuedAt: Date.parse(T2), tieBreak: 0 }]));
    }, messages);

    expect(calls.sort((a, b) => b - a)).toStrictEqual([100, 100, 30]);
    expect(applied.size).toBe(230);
  });
});

describe("a DLQ message's version", () => {
  it("is the one the handler gives the same body", () => {
    const body = JSON.stringify({
      publicId: "O1",
      metadata: { z: 1, a: { nested: ["é", null, 2.5] }, m: "x" },
      issuedAt: T1,
    });
    const parsed = parseUpdate(body);
    if (!parsed.ok) throw new Error(parsed.reason);

    expect(versionOfMessage(dlqMessage({ body }))).toStrictEqual(versionOf(parsed.message, sqsRecord(body)));
  });
});
