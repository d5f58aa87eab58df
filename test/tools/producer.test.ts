import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { fullJitterMs } from "../../lib/lambda/backoff.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { deduplicationId, Producer, type ProducerOptions } from "../../lib/tools/producer.ts";
import { isRetryableCallError } from "../../lib/tools/send-errors.ts";
import {
  type BatchEntry,
  type SqsProxy,
  type SqsProxyOptions,
  sentEntries,
  startSqsProxy,
} from "../support/sqs-proxy.ts";
import { drainQueue } from "./csv-import/support/queue.ts";

const batchCalls = (proxy: SqsProxy) =>
  proxy.calls.filter((c) => c.action === "SendMessageBatch").map((c) => c.body.Entries as BatchEntry[]);

const NOW = new Date("2026-11-27T10:15:00.123Z");
const update = (n: number, metadata: Record<string, string> = { clinic: "north" }) => ({
  publicId: `O${String(n).padStart(7, "0")}`,
  metadata,
});

/** What each test started, stopped after it in the reverse order. */
const started: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of started.splice(0).reverse()) await server.stop();
});

/** The producer's options a test sets; `source` is `svc:test` unless it names one. */
type Settings = Partial<Omit<ProducerOptions, "sqs" | "queueUrl">>;
/** The settings, and whether the queue is a FIFO queue. */
type Setup = Settings & { fifoQueue?: boolean };

/** An embedded queue, stopped after the test. */
async function startQueue(fifoQueue = false): Promise<EmbeddedSqs> {
  const queue = await startEmbeddedSqs(fifoQueue ? { fifo: true } : {});
  started.push(queue);
  return queue;
}

/** A producer that sends to `queueUrl` with the client `sqs` (the queue's own, or a proxy's). */
function producerFor(sqs: SQSClient, queueUrl: string, settings: Settings = {}): Producer {
  return new Producer({ sqs, queueUrl, source: "svc:test", ...settings });
}

/** A queue, and a producer that sends to it directly. */
async function producerOnQueue({ fifoQueue, ...settings }: Setup = {}) {
  const queue = await startQueue(fifoQueue);
  return { queue, producer: producerFor(queue.client(), queue.queueUrl, settings) };
}

/**
 * A queue, the proxy in front of it that records every call on the wire (and fails the entries
 * `proxyOptions` picks), and a producer that sends through the proxy.
 */
async function producerThroughProxy(
  { fifoQueue, ...settings }: Setup = {},
  proxyOptions: SqsProxyOptions = {},
) {
  const queue = await startQueue(fifoQueue);
  const proxy = await startSqsProxy(queue.endpoint, proxyOptions);
  started.push(proxy);
  return { queue, proxy, producer: producerFor(proxy.client(), queue.queueUrl, settings) };
}

describe("Producer on a standard queue", () => {
  it("sends each valid input once, with issuedAt, source and the producer's message group", async () => {
    // Prepare
    const { queue, proxy, producer } = await producerThroughProxy({ source: "svc:billing", now: () => NOW });

    // Act
    const results = await producer.enqueueMany([
      update(1),
      update(2),
      { ...update(3), issuedAt: "2026-01-01T00:00:00.000Z" },
    ]);

    // Assess
    expect(results.map((r) => [r.ok, r.index])).toStrictEqual([
      [true, 0],
      [true, 1],
      [true, 2],
    ]);
    const received = await drainQueue(queue.client(), queue.queueUrl);
    expect(received.map((m) => m.update).sort((a, b) => a.publicId.localeCompare(b.publicId))).toStrictEqual([
      { ...update(1), issuedAt: NOW.toISOString() },
      // Another order: the clock's time, though it stood still.
      { ...update(2), issuedAt: NOW.toISOString() },
      { ...update(3), issuedAt: "2026-01-01T00:00:00.000Z" },
    ]);
    expect(received.map((m) => m.source)).toStrictEqual(["svc:billing", "svc:billing", "svc:billing"]);
    // fauxqs accepts MessageGroupId on a standard queue but does not keep it: read it on the wire.
    expect(sentEntries(proxy).map((entry) => entry.MessageGroupId)).toStrictEqual([
      "svc:billing",
      "svc:billing",
      "svc:billing",
    ]);
    expect(sentEntries(proxy).some((entry) => entry.MessageDeduplicationId !== undefined)).toBe(false);
  });

  it("uses messageGroupId when given, and a per-message source when given", async () => {
    // Prepare
    const { proxy, producer } = await producerThroughProxy({
      source: "csv:orders.csv",
      messageGroupId: "tenant-a",
    });

    // Act
    const result = await producer.enqueue(update(7), { source: "csv:orders.csv:42" });

    // Assess
    expect(result.ok).toBe(true);
    const [entry] = sentEntries(proxy);
    expect(entry?.MessageGroupId).toBe("tenant-a");
    expect(entry?.MessageAttributes?.source).toStrictEqual({
      DataType: "String",
      StringValue: "csv:orders.csv:42",
    });
  });

  it("rejects inputs that break the contract without sending them, and keeps the order of results", async () => {
    // Prepare
    const { queue, producer } = await producerOnQueue();

    // Act
    const results = await producer.enqueueMany([
      update(1),
      { publicId: "a/b", metadata: {} },
      { publicId: "O2", metadata: [] as unknown as Record<string, string> },
      update(3),
    ]);

    // Assess
    expect(results).toStrictEqual([
      { ok: true, messageId: expect.any(String), index: 0 },
      {
        ok: false,
        reason: "publicId: may hold only letters, digits, '_' and '-'",
        cause: "invalid",
        retryable: false,
        index: 1,
      },
      { ok: false, reason: "metadata: must be a JSON object", cause: "invalid", retryable: false, index: 2 },
      { ok: true, messageId: expect.any(String), index: 3 },
    ]);
    expect(await drainQueue(queue.client(), queue.queueUrl)).toHaveLength(2);
  });

  it("does not check again an update the caller marks as validated, and still fills in issuedAt", async () => {
    // Prepare
    const { queue, producer } = await producerOnQueue({ now: () => NOW });
    // The contract would refuse this id: the flag is the caller's word that it checked, so it is sent.
    const vouched = { publicId: "not/checked", metadata: { clinic: "north" } };

    // Act
    const results: boolean[] = [];
    await producer.send([{ update: vouched, validated: true }], (result) => results.push(result.ok));

    // Assess
    expect(results).toStrictEqual([true]);
    const { Messages = [] } = await queue
      .client()
      .send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages.map((m) => JSON.parse(m.Body ?? ""))).toStrictEqual([
      { ...vouched, issuedAt: NOW.toISOString() },
    ]);
  });

  it("packs at most 10 entries per call, and no more bytes per call than the limit", async () => {
    // Prepare: entries of ~15 KB each; a 64 KiB limit fits four of them
    const { proxy, producer } = await producerThroughProxy({ maxBatchBytes: 64 * 1024 });
    const big = { blob: "x".repeat(15_000) };

    // Act
    const small = await producer.enqueueMany(Array.from({ length: 25 }, (_, n) => update(n)));
    const smallCalls = batchCalls(proxy).map((entries) => entries.length);
    const large = await producer.enqueueMany(Array.from({ length: 10 }, (_, n) => update(n, big)));

    // Assess
    expect([...small, ...large].every((r) => r.ok)).toBe(true);
    expect(smallCalls).toStrictEqual([10, 10, 5]);
    const largeCalls = batchCalls(proxy).slice(3);
    expect(largeCalls.map((entries) => entries.length)).toStrictEqual([4, 4, 2]);
    const bytes = (entries: BatchEntry[]) =>
      entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody) + "sourceStringsvc:test".length, 0);
    expect(largeCalls.every((entries) => bytes(entries) <= 64 * 1024)).toBe(true);
  });

  it("retries entries SQS failed through no fault of the sender, and loses none", async () => {
    // Prepare: the first three calls each lose their first two entries (not stored by fauxqs)
    const { queue, producer } = await producerThroughProxy(
      { concurrency: 1, retryBaseDelayMs: 1 },
      { failEntries: (call, entries) => (call <= 3 ? entries.slice(0, 2) : []) },
    );

    // Act
    const results = await producer.enqueueMany(Array.from({ length: 30 }, (_, n) => update(n)));

    // Assess
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    const ids = (await drainQueue(queue.client(), queue.queueUrl)).map((m) => m.update.publicId).sort();
    expect(ids).toStrictEqual(Array.from({ length: 30 }, (_, n) => update(n).publicId).sort());
  });

  it("gives up after maxAttempts with a retryable result, never silently", async () => {
    // Prepare: entry "0" of every call always fails
    const { proxy, producer } = await producerThroughProxy(
      { maxAttempts: 3, retryBaseDelayMs: 1 },
      { failEntries: (_call, entries) => entries.filter((entry) => entry.Id === "0") },
    );

    // Act
    const results = await producer.enqueueMany([update(1), update(2)]);

    // Assess
    expect(results).toStrictEqual([
      {
        ok: false,
        reason: "SQS rejected the entry: InternalError (injected by the test proxy)",
        cause: "unavailable",
        retryable: true,
        index: 0,
      },
      { ok: true, messageId: expect.any(String), index: 1 },
    ]);
    expect(sentEntries(proxy).filter((entry) => entry.Id === "0")).toHaveLength(3);
  });

  it("reports a whole-call failure on every input as the queue's, not the input's, when the queue does not exist", async () => {
    // Prepare
    const queue = await startQueue();
    const producer = producerFor(queue.client(), `${queue.queueUrl}-missing`, { retryBaseDelayMs: 1 });

    // Act
    const results = await producer.enqueueMany([update(1), update(2)]);

    // Assess
    expect(results.map((r) => [r.ok, r.ok ? "" : r.cause, r.ok ? "" : r.retryable, r.index])).toStrictEqual([
      [false, "unavailable", false, 0],
      [false, "unavailable", false, 1],
    ]);
  });
});

describe("Producer on a FIFO queue", () => {
  it("groups by order and deduplicates a resent update", async () => {
    // Prepare
    const { queue, producer } = await producerOnQueue({ fifoQueue: true, now: () => NOW });
    // A resend carries the issuedAt of the first send (a stamp of its own would make it a new update).
    const resent = { ...update(1), issuedAt: "2026-11-27T10:00:00.000Z" };

    // Act: the same update twice (as a retry after a lost answer would), and another order
    await producer.enqueueMany([resent, resent, update(2)]);

    // Assess
    const received = await drainQueue(queue.client(), queue.queueUrl);
    expect(received.map((m) => [m.update.publicId, m.groupId, m.deduplicationId])).toStrictEqual([
      ["O0000001", "O0000001", deduplicationId(resent)],
      ["O0000002", "O0000002", deduplicationId({ ...update(2), issuedAt: NOW.toISOString() })],
    ]);
  });
});

describe("Producer on a FIFO queue, when an entry fails", () => {
  it("holds back the later updates of its order and retries them in order", async () => {
    // Prepare: the first entry for O0000001 fails once (as SQS fails an entry through no fault of the sender)
    let failedOnce = false;
    const { queue, proxy, producer } = await producerThroughProxy(
      { fifoQueue: true, retryBaseDelayMs: 1 },
      {
        failEntries: (_call, entries) => {
          if (failedOnce) return [];
          failedOnce = true;
          return entries.filter((entry) => JSON.parse(entry.MessageBody).metadata.n === "1");
        },
      },
    );
    const updates = ["1", "2", "3"].flatMap((n) => [
      { publicId: "O0000001", metadata: { n } },
      { publicId: "O0000002", metadata: { n } },
    ]);

    // Act
    const results = await producer.enqueueMany(updates);

    // Assess: every update queued, each order's in the order given, and the failure was retried
    expect(results.every((result) => result.ok)).toBe(true);
    expect(
      sentEntries(proxy).filter((entry) => JSON.parse(entry.MessageBody).publicId === "O0000001"),
    ).toHaveLength(4);
    const received = await drainQueue(queue.client(), queue.queueUrl, { consume: true });
    const order = (publicId: string) =>
      received.filter((m) => m.update.publicId === publicId).map((m) => m.update.metadata.n);
    expect(order("O0000001")).toStrictEqual(["1", "2", "3"]);
    expect(order("O0000002")).toStrictEqual(["1", "2", "3"]);
  });

  it("never has two updates of one order in flight at once", async () => {
    // Prepare
    const { queue, proxy, producer } = await producerThroughProxy({ fifoQueue: true });
    const updates = Array.from({ length: 30 }, (_, n) => ({
      publicId: `O000000${n % 3}`,
      metadata: { n: String(n) },
    }));

    // Act
    await producer.enqueueMany(updates);

    // Assess: no call carries two entries of one group (a call's entries may be stored in part)
    for (const entries of batchCalls(proxy)) {
      const groups = entries.map((entry) => entry.MessageGroupId);
      expect(new Set(groups).size).toBe(groups.length);
    }
    const received = await drainQueue(queue.client(), queue.queueUrl, { consume: true });
    expect(
      received.filter((m) => m.update.publicId === "O0000001").map((m) => Number(m.update.metadata.n)),
    ).toStrictEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
  });
});

describe("Producer's issuedAt", () => {
  it("dates a burst of updates for many orders at the clock's time, not ahead of it", async () => {
    // Prepare: a clock that stands still while 1,000 updates of 1,000 orders are stamped.
    const { queue, producer } = await producerOnQueue({ now: () => NOW });
    const updates = Array.from({ length: 1_000 }, (_, i) => ({
      publicId: `O${1_000_000 + i}`,
      metadata: {},
    }));

    // Act
    await producer.enqueueMany(updates);

    // Assess
    const stamps = new Set((await drainQueue(queue.client(), queue.queueUrl)).map((m) => m.update.issuedAt));
    expect([...stamps]).toStrictEqual([NOW.toISOString()]);
  });

  it("stamps strictly increasing times when the clock stands still or goes back, and leaves a given one as is", async () => {
    // Prepare: the clock gives NOW three times, then a time 5 ms earlier
    const times = [NOW, NOW, NOW, new Date(NOW.getTime() - 5)];
    const { queue, producer } = await producerOnQueue({ now: () => times.shift() ?? NOW });
    const same = (n: number) => ({ publicId: "O0000001", metadata: { n: String(n) } });

    // Act
    await producer.enqueueMany([same(1), same(2), { ...same(3), issuedAt: "2026-01-01T00:00:00.000Z" }]);
    await producer.enqueue(same(4));
    await producer.enqueue(same(5));

    // Assess
    const received = await drainQueue(queue.client(), queue.queueUrl);
    expect(
      received
        .map((m) => [m.update.metadata.n, m.update.issuedAt])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toStrictEqual([
      ["1", "2026-11-27T10:15:00.123Z"],
      ["2", "2026-11-27T10:15:00.124Z"],
      ["3", "2026-01-01T00:00:00.000Z"],
      ["4", "2026-11-27T10:15:00.125Z"],
      ["5", "2026-11-27T10:15:00.126Z"],
    ]);
  });

  it("gives 100 back-to-back updates for one order 100 different times, in the order they were sent", async () => {
    // Prepare: the real clock, which gives most of these sends the same millisecond
    const { queue, producer } = await producerOnQueue();

    // Act
    for (let n = 0; n < 100; n++)
      await producer.enqueue({ publicId: "O0000001", metadata: { n: String(n) } });

    // Assess
    const received = await drainQueue(queue.client(), queue.queueUrl);
    const issuedAt = received
      .sort((a, b) => Number(a.update.metadata.n) - Number(b.update.metadata.n))
      .map((m) => Date.parse(m.update.issuedAt ?? ""));
    expect(issuedAt).toHaveLength(100);
    const ties = issuedAt.filter((at, i) => i > 0 && at <= (issuedAt[i - 1] ?? 0));
    expect(ties).toStrictEqual([]);
  });
});

describe("retry arithmetic", () => {
  it("doubles the ceiling per attempt up to the maximum, with full jitter", () => {
    expect([1, 2, 3, 10].map((attempt) => fullJitterMs(attempt, 100, 5_000, () => 1))).toStrictEqual([
      100, 200, 400, 5_000,
    ]);
    expect(fullJitterMs(3, 100, 5_000, () => 0)).toBe(0);
  });

  it("retries throttling, server faults and network errors, not the sender's mistakes", () => {
    const sdkError = (name: string, status: number, fault: string) =>
      Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });
    expect(isRetryableCallError(sdkError("ThrottlingException", 400, "client"))).toBe(true);
    expect(isRetryableCallError(sdkError("InternalError", 500, "server"))).toBe(true);
    expect(isRetryableCallError(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryableCallError(sdkError("QueueDoesNotExist", 400, "client"))).toBe(false);
    expect(isRetryableCallError(sdkError("AccessDenied", 403, "client"))).toBe(false);
  });
});
