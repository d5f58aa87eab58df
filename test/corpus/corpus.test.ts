/**
 * The bad-input corpus (generate-corpus.ts writes it): every malformed message goes through the real
 * pipeline between valid neighbours and ends dead-lettered as `invalid`, with a reason that names the
 * field and repeats no metadata value; no batch fails, no bad message reaches Spot. Bodies SQS itself
 * refuses are refused by the producer first, with a reason. Every malformed CSV row ends in the
 * importer's rejects file with its line and a reason.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import { startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { startLocalStack } from "../../lib/local/local-stack.ts";
import { importCsv } from "../../lib/tools/csv-import/import-csv.ts";
import type { PolledInvocation } from "../../lib/tools/poller.ts";
import { Producer, type UpdateInput } from "../../lib/tools/producer.ts";
import { captureLogs } from "../support/log-capture.ts";
import { drainQueue } from "../support/queues.ts";
import { type MessageCase, SECRET } from "./generate-corpus.ts";

const here = import.meta.dirname;
const readJsonLines = <T>(file: string): T[] =>
  readFileSync(join(here, file), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
const cases = readJsonLines<MessageCase>("messages.jsonl");
const queued = cases.filter((c) => c.sqsRefuses !== true);
const refused = cases.filter((c) => c.sqsRefuses === true);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("malformed messages", () => {
  it("holds at least 100 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it("dead-letters each as invalid, naming the field, without failing a batch or reaching Spot", async () => {
    // Prepare: a valid update before each bad one, so that every batch mixes them.
    const goodIds = queued.map((_, i) => `G${String(i).padStart(5, "0")}`);
    const invocations: PolledInvocation[] = [];
    const stack = await startLocalStack({
      ledger: false,
      autoStart: false,
      logger: captureLogs("warn").logger,
      onMetrics: () => {},
      sandbox: { orders: goodIds },
      eventSource: { batchingWindowMs: 50, onInvocation: (invocation) => invocations.push(invocation) },
    });
    try {
      for (const [i, badCase] of queued.entries()) {
        const good = JSON.stringify({ publicId: goodIds[i], metadata: { n: String(i) } });
        for (const body of [good, badCase.body]) {
          await stack.sqs.send(
            new SendMessageCommand({ QueueUrl: stack.queues.queueUrl, MessageBody: body }),
          );
        }
      }

      // Act
      stack.eventSource.start();
      await stack.waitUntilDrained({ timeoutMs: 60_000 });
      const dead = await drainQueue(stack.sqs, stack.queues.dlqUrl);

      // Assess: one dead letter per case, invalid, with a reason that names the field.
      const problems: string[] = [];
      for (const badCase of queued) {
        const letters = dead.filter((letter) => letter.body === badCase.body);
        const reason = letters[0]?.failure?.reason ?? "";
        if (letters.length !== 1) problems.push(`${badCase.name}: ${letters.length} dead letters`);
        else if (letters[0]?.failure?.reasonClass !== ReasonClass.invalid)
          problems.push(`${badCase.name}: dead-lettered as ${letters[0]?.failure?.reasonClass}`);
        else if (!reason.includes(badCase.expectedReasonContains))
          problems.push(
            `${badCase.name}: reason "${reason}" does not name ${badCase.expectedReasonContains}`,
          );
        if (reason.includes(SECRET)) problems.push(`${badCase.name}: the reason repeats a metadata value`);
      }
      expect(problems).toStrictEqual([]);
      expect(dead).toHaveLength(queued.length);
      // No batch failed, every valid neighbour was applied, and only valid orders reached Spot.
      expect(invocations.filter((invocation) => invocation.error !== undefined)).toStrictEqual([]);
      expect(goodIds.filter((id, i) => stack.sandbox.metadataOf(id)?.n !== String(i))).toStrictEqual([]);
      const good = new Set(goodIds);
      expect(stack.sandbox.requests.filter((r) => !good.has(r.publicId ?? ""))).toStrictEqual([]);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  it("has SQS refuse the bodies it cannot hold, and the producer refuse them first with a reason", async () => {
    const sqs = await startEmbeddedSqs();
    const client = sqs.client();
    try {
      const producer = new Producer({ sqs: client, queueUrl: sqs.queueUrl, source: "test" });
      for (const refusedCase of refused) {
        // Act
        const raw = client.send(
          new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: refusedCase.body }),
        );
        const update = asUpdate(refusedCase.body);
        const result = update === undefined ? undefined : await producer.enqueue(update);

        // Assess: an empty body has no update form; the producer never sends one.
        await expect(raw, refusedCase.name).rejects.toThrow();
        if (result === undefined) continue;
        expect(result.ok, refusedCase.name).toBe(false);
        expect(result.ok ? "" : result.reason, refusedCase.name).toContain(
          refusedCase.expectedReasonContains,
        );
      }
    } finally {
      client.destroy();
      await sqs.stop();
    }
  });
});

describe("malformed CSV rows", () => {
  it("rejects each with its line number and a reason naming the field, and queues the good rows", async () => {
    // Prepare
    const expected = readJsonLines<{ line: number; name: string; reasonContains: string }>(
      "rows.expected.jsonl",
    );
    const dir = mkdtempSync(join(tmpdir(), "spot-meta-corpus-"));
    dirs.push(dir);
    const rejectsPath = join(dir, "rows.rejects.csv");
    const sqs = await startEmbeddedSqs();
    const client = sqs.client();
    try {
      // Act
      const summary = await importCsv({
        file: join(here, "rows.csv"),
        target: { sqs: client, queueUrl: sqs.queueUrl },
        rejectsPath,
        checkpointPath: join(dir, "rows.checkpoint.json"),
      });

      // Assess
      const rejects = parse(readFileSync(rejectsPath, "utf8"), { columns: true }) as Array<{
        line: string;
        reason: string;
      }>;
      const byLine = new Map(rejects.map((r) => [Number(r.line), r.reason]));
      const problems: string[] = [];
      for (const row of expected) {
        const reason = byLine.get(row.line);
        if (reason === undefined) problems.push(`line ${row.line} (${row.name}) is not in the rejects file`);
        else if (!reason.includes(row.reasonContains))
          problems.push(`line ${row.line} (${row.name}): "${reason}" does not name ${row.reasonContains}`);
        if (reason?.includes(SECRET))
          problems.push(`line ${row.line} (${row.name}): the reason repeats a value`);
      }
      expect(problems).toStrictEqual([]);
      expect(expected.length).toBeGreaterThanOrEqual(100);
      expect(rejects).toHaveLength(expected.length);
      expect({
        rejected: summary.rejected,
        queued: summary.queued,
        superseded: summary.superseded,
      }).toStrictEqual({
        rejected: expected.length,
        queued: summary.rows - expected.length,
        superseded: 0,
      });
    } finally {
      client.destroy();
      await sqs.stop();
    }
  });
});

/** The update a service would have built in code: raw control characters read as the characters. */
function asUpdate(body: string): UpdateInput | undefined {
  if (body === "") return undefined;
  let escaped = "";
  for (const c of body) {
    escaped += c < " " ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c;
  }
  return JSON.parse(escaped) as UpdateInput;
}
