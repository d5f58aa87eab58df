import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importExitCode } from "../../../lib/cli/import/import-command.ts";
import {
  CheckpointError,
  CsvFormatError,
  QueueUnreachableError,
} from "../../../lib/tools/csv-import/errors.ts";
import { formatSummary, importCsv } from "../../../lib/tools/csv-import/import-csv.ts";
import { sentEntries } from "../../support/sqs-proxy.ts";
import { keyColumnCsv, orderId } from "./support/files.ts";
import { importFixture } from "./support/import-fixture.ts";
import { drainQueue } from "./support/queue.ts";

const START = new Date("2026-11-27T10:00:00.000Z");
const now = () => START;

const fixture = importFixture();
const setUp = (options: { fifo?: boolean } = {}) => fixture.setUp(options);
/** The clock of a run resumed long after the first one. */
const muchLater = () => new Date("2030-01-01T00:00:00.000Z");

/**
 * A file of `rows` orders and a queue behind a proxy that aborts `signal` once the import's
 * `batch`-th SendMessageBatch call is on its way; `target` sends through the proxy.
 */
async function stoppedAtBatch(batch: number, rows: number) {
  const { sqs, dir } = await setUp();
  const controller = new AbortController();
  const proxy = await fixture.proxyFor(sqs, { onBatch: (call) => call === batch && controller.abort() });
  const file = dir.write("orders.csv", keyColumnCsv(rows));
  return { sqs, file, target: { sqs: proxy.client(), queueUrl: sqs.queueUrl }, signal: controller.signal };
}

describe("importCsv, key-column layout", () => {
  it("queues every valid row with the import's start as issuedAt, source by line and import, and the import's message group", async () => {
    // Prepare
    const { sqs, dir } = await setUp();
    const proxy = await fixture.proxyFor(sqs);
    const file = dir.write(
      "orders.csv",
      '\uFEFFPublic_ID,clinic,cohort,,\r\nO1,north,,,\r\n\r\nO2,"south, upper",c1,,\r\n',
    );

    // Act
    const summary = await importCsv({ file, target: { sqs: proxy.client(), queueUrl: sqs.queueUrl }, now });

    // Assess
    expect(summary).toMatchObject({ rows: 2, queued: 2, rejected: 0, superseded: 0, interrupted: false });
    expect(summary.importId).toMatch(/^imp-20261127T100000Z-[0-9a-f]{4}$/);
    expect(importExitCode(summary)).toBe(0);
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received.map((m) => [m.update, m.source]).sort()).toStrictEqual([
      [
        { publicId: "O1", metadata: { clinic: "north" }, issuedAt: "2026-11-27T10:00:00.000Z" },
        `csv:orders.csv:2@${summary.importId}`,
      ],
      [
        {
          publicId: "O2",
          metadata: { clinic: "south, upper", cohort: "c1" },
          issuedAt: "2026-11-27T10:00:00.000Z",
        },
        `csv:orders.csv:4@${summary.importId}`,
      ],
    ]);
    expect(sentEntries(proxy).map((entry) => entry.MessageGroupId)).toStrictEqual([
      "csv:orders.csv",
      "csv:orders.csv",
    ]);
    expect(existsSync(`${file}.rejects.csv`)).toBe(false);
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
  });
});

describe("importCsv, JSON-column layout", () => {
  it("queues the metadata objects and rejects bad rows into the rejects file, exactly", async () => {
    // Prepare
    const { sqs, dir, target } = await setUp();
    const file = dir.write(
      "j.csv",
      [
        "public_id,metadata",
        'O1,"{""clinic"": ""north"", ""n"": 1}"',
        'O2,"{""note"": ""one, comma"",',
        '""n"": 2}"',
        "O3,{not json",
        'a/b,"{}"',
        ',"{}"',
        "O4,[1]",
        "O5,{}",
        "",
      ].join("\n"),
    );

    // Act
    const summary = await importCsv({ file, target, now });

    // Assess
    expect(summary).toMatchObject({ rows: 7, queued: 3, rejected: 4, rejectsFile: `${file}.rejects.csv` });
    expect(importExitCode(summary)).toBe(3);
    expect(dir.read("j.csv.rejects.csv")).toBe(
      [
        "line,public_id,reason",
        "5,O3,metadata: the cell is not valid JSON (9 bytes)",
        `6,a/b,"publicId: may hold only letters, digits, '_' and '-'"`,
        "7,,publicId: must not be empty",
        "8,O4,metadata: must be a JSON object",
        "",
      ].join("\n"),
    );
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(
      received
        .map((m) => m.update.metadata)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toStrictEqual([{ clinic: "north", n: 1 }, { note: "one, comma", n: 2 }, {}]);
  });
});

describe("importCsv, issuedAt", () => {
  it("stamps every row with the import's start time, so none is dated after the import began", async () => {
    // Prepare: 300 rows (many batches, sent several at a time), and a clock that moves on each read
    const { sqs, dir, target } = await setUp();
    const file = dir.write("t.csv", keyColumnCsv(300));
    let reads = 0;
    const movingClock = () => new Date(START.getTime() + 60_000 * reads++);

    // Act
    const summary = await importCsv({ file, target, now: movingClock });

    // Assess
    expect(summary).toMatchObject({ queued: 300, startedAt: START.toISOString() });
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received).toHaveLength(300);
    expect([...new Set(received.map((m) => m.update.issuedAt))]).toStrictEqual([START.toISOString()]);
  });

  it("keeps the first run's start time for every row a resumed import sends", async () => {
    // Prepare: abort once the second SendMessageBatch call is on its way
    const { sqs, file, target, signal } = await stoppedAtBatch(2, 300);
    const first = await importCsv({ file, target, signal, concurrency: 1, now });
    const firstRun = await drainQueue(sqs.client(), sqs.queueUrl);

    // Act
    const second = await importCsv({ file, target, resume: true, now: muchLater });

    // Assess
    expect(first.interrupted).toBe(true);
    expect(second).toMatchObject({ resumed: true, interrupted: false, startedAt: START.toISOString() });
    const secondRun = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(firstRun.length + secondRun.length).toBe(300);
    expect(secondRun.length).toBeGreaterThan(0);
    expect([...new Set([...firstRun, ...secondRun].map((m) => m.update.issuedAt))]).toStrictEqual([
      START.toISOString(),
    ]);
  });
});

describe("importCsv, whole-file problems", () => {
  it("stops before sending when the header has no public_id column, naming the columns it found", async () => {
    const { sqs, dir, target } = await setUp();
    const file = dir.write("h.csv", "order,clinic\nO1,x\n");
    await expect(importCsv({ file, target })).rejects.toThrow(
      new CsvFormatError('no public_id column in the header; found "order", "clinic"'),
    );
    expect(await drainQueue(sqs.client(), sqs.queueUrl)).toStrictEqual([]);
  });

  it("refuses its own rejects file and verify's report, which hold no metadata, before sending anything", async () => {
    // Prepare: a run that rejects a row (a valid id, an extra column), then its rejects file imported
    const { sqs, dir, target } = await setUp();
    const file = dir.write("o.csv", "public_id,clinic\nO1,a\nO2,b,extra\n");
    await importCsv({ file, target, dryRun: true });
    const report = dir.write(
      "verify.csv",
      "public_id,status,keys,should_have_won\nO1,drift,~clinic,line 2 of o.csv\n",
    );

    // Act
    const rejects = importCsv({ file: `${file}.rejects.csv`, target });
    const verifyReport = importCsv({ file: report, target });
    // Both settled before either is asserted: the second refusal, while the first is awaited, was
    // otherwise a rejection with no handler yet (vitest's "unhandled rejection", exit 1, under load).
    await Promise.allSettled([rejects, verifyReport]);

    // Assess
    await expect(rejects).rejects.toThrow(
      new CsvFormatError(
        "this is the rejects file of an import (columns line,public_id,reason): it holds no metadata, and importing it would replace each order's metadata with its other columns; fix those rows in the file you imported (its line column finds them) and import that",
      ),
    );
    await expect(verifyReport).rejects.toThrow(
      /^this is a report of spot-meta verify \(columns public_id,status,keys,should_have_won\)/,
    );
    expect(await drainQueue(sqs.client(), sqs.queueUrl)).toStrictEqual([]);
  });

  it("says the queue is unreachable before reading the file", async () => {
    const { sqs, dir } = await setUp();
    const file = dir.write("u.csv", keyColumnCsv(3));
    const target = { sqs: sqs.client(), queueUrl: `${sqs.queueUrl}-missing` };
    await expect(importCsv({ file, target })).rejects.toThrow(QueueUnreachableError);
  });
});

describe("importCsv, dry run and duplicates", () => {
  it("a dry run checks every row, writes the rejects file and sends nothing", async () => {
    // Prepare
    const { sqs, dir, target } = await setUp();
    const file = dir.write("d.csv", "public_id,clinic\nO1,x\nbad id,y\nO2,z\n");

    // Act
    const summary = await importCsv({ file, target, dryRun: true });

    // Assess
    expect(summary).toMatchObject({ dryRun: true, rows: 3, queued: 2, rejected: 1 });
    expect(dir.read("d.csv.rejects.csv")).toBe(
      "line,public_id,reason\n3,bad id,\"publicId: may hold only letters, digits, '_' and '-'\"\n",
    );
    expect(await drainQueue(sqs.client(), sqs.queueUrl)).toStrictEqual([]);
  });

  it("writes a rejected cell a spreadsheet would run as a formula behind a single quote (CSV injection)", async () => {
    // Prepare: an id cell that is a live link in Excel or Google Sheets, and an id that begins with '-'
    const { dir, target } = await setUp();
    const file = dir.write(
      "evil.csv",
      'public_id,clinic\n"=HYPERLINK(""http://evil.example"",""x"")",a\n-O1,b,extra\nO2,c\n',
    );

    // Act
    const summary = await importCsv({ file, target, dryRun: true });

    // Assess
    expect(summary).toMatchObject({ queued: 1, rejected: 2 });
    expect(dir.read("evil.csv.rejects.csv")).toBe(
      [
        "line,public_id,reason",
        `2,"'=HYPERLINK(""http://evil.example"",""x"")","publicId: may hold only letters, digits, '_' and '-'"`,
        `3,"'-O1","a value in column 3, which has no header"`,
        "",
      ].join("\n"),
    );
  });

  it("sends only the last row for an order and reports the others as superseded, not rejected", async () => {
    // Prepare
    const { sqs, dir, target } = await setUp();
    const file = dir.write("dup.csv", "public_id,v\nO1,first\nO2,only\nO1,second\nO1,last\n");

    // Act
    const summary = await importCsv({ file, target, now });

    // Assess
    expect(summary).toMatchObject({ rows: 4, queued: 2, rejected: 0, superseded: 2 });
    expect(summary.supersededExamples).toStrictEqual([
      { line: 2, publicId: "O1", supersededBy: 5 },
      { line: 4, publicId: "O1", supersededBy: 5 },
    ]);
    expect(importExitCode(summary)).toBe(0);
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(
      received.map((m) => m.update.metadata).sort((a, b) => String(a.v).localeCompare(String(b.v))),
    ).toStrictEqual([{ v: "last" }, { v: "only" }]);
  });
});

describe("importCsv, a rejected row after a valid one of the same order", () => {
  it("sends the valid row, rejects the later one, and claims no row was superseded", async () => {
    // Prepare: line 2 is valid for O1; line 4, for O1 too, has an extra column (rejected)
    const { sqs, dir, target } = await setUp();
    const file = dir.write("late-bad.csv", "public_id,clinic\nO1,north\nO2,south\nO1,east,extra\n");

    // Act
    const summary = await importCsv({ file, target, now });

    // Assess
    expect(summary).toMatchObject({ rows: 3, queued: 2, rejected: 1, superseded: 0 });
    expect(summary.supersededExamples).toStrictEqual([]);
    expect(formatSummary(summary)).not.toMatch(/superseded by line/);
    expect(dir.read("late-bad.csv.rejects.csv")).toBe(
      'line,public_id,reason\n4,O1,"a value in column 3, which has no header"\n',
    );
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received.map((m) => [m.update.publicId, m.update.metadata, m.source]).sort()).toStrictEqual([
      ["O1", { clinic: "north" }, `csv:late-bad.csv:2@${summary.importId}`],
      ["O2", { clinic: "south" }, `csv:late-bad.csv:3@${summary.importId}`],
    ]);
  });
});

describe("importCsv, ids with spaces around them", () => {
  it("rejects them as the queue's contract would, and says so in the summary with the commonest reasons", async () => {
    // Prepare
    const { dir, target } = await setUp();
    const file = dir.write("spaces.csv", "public_id,clinic\n O1,a\nO2 ,b\nO3,c\na/b,d\n");

    // Act
    const summary = await importCsv({ file, target, now });

    // Assess
    expect(summary).toMatchObject({ queued: 1, rejected: 3 });
    expect(summary.rejectReasons).toStrictEqual([
      { reason: "publicId: has spaces before or after it", rows: 2 },
      { reason: "publicId: may hold only letters, digits, '_' and '-'", rows: 1 },
    ]);
    expect(formatSummary(summary)).toContain("    2 × publicId: has spaces before or after it\n");
    expect(dir.read("spaces.csv.rejects.csv").split("\n").slice(1, 3)).toStrictEqual([
      '2," O1",publicId: has spaces before or after it',
      '3,"O2 ",publicId: has spaces before or after it',
    ]);
  });
});

describe("importCsv, resume", () => {
  it("continues an interrupted import and puts every row on the queue exactly once", async () => {
    // Prepare: abort once the third SendMessageBatch call is on its way
    const { sqs, file, target, signal } = await stoppedAtBatch(3, 500);

    // Act
    const first = await importCsv({ file, target, signal, concurrency: 2, now });
    const withoutResume: unknown = await importCsv({ file, target }).catch((error: unknown) => error);
    const second = await importCsv({ file, target, resume: true, now: muchLater });

    // Assess
    expect(withoutResume).toBeInstanceOf(CheckpointError);
    expect(first.interrupted).toBe(true);
    expect(importExitCode(first)).toBe(2);
    expect(first.queued).toBeGreaterThan(0);
    expect(first.queued).toBeLessThan(500);
    expect(second).toMatchObject({
      resumed: true,
      interrupted: false,
      queued: 500,
      startedAt: START.toISOString(),
    });
    expect(second.skippedFromCheckpoint).toBe(first.queued);
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received.map((m) => m.update.publicId).sort()).toStrictEqual(
      Array.from({ length: 500 }, (_, n) => orderId(n + 1)),
    );
    // The resumed rows keep the first run's start time, not the second run's clock.
    expect([...new Set(received.map((m) => m.update.issuedAt))]).toStrictEqual([START.toISOString()]);
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
  });

  it("refuses to resume when the file changed", async () => {
    // Prepare
    const { dir, target } = await setUp();
    const controller = new AbortController();
    controller.abort();
    const file = dir.write("c.csv", keyColumnCsv(20));
    await importCsv({ file, target, signal: controller.signal });
    dir.write("c.csv", keyColumnCsv(21));

    // Act / Assess
    await expect(importCsv({ file, target, resume: true })).rejects.toThrow(
      /changed since the import stopped/,
    );
  });
});

describe("importCsv, failures of SQS", () => {
  it("retries entries SQS failed (SenderFault=false) and loses none", async () => {
    // Prepare: every second call loses its first three entries, each entry at most once
    const { sqs, dir } = await setUp();
    const failedOnce = new Set<string>();
    const proxy = await fixture.proxyFor(sqs, {
      failEntries: (call, entries) => {
        const failing =
          call % 2 === 0 ? entries.filter((e) => !failedOnce.has(e.MessageBody)).slice(0, 3) : [];
        for (const entry of failing) failedOnce.add(entry.MessageBody);
        return failing;
      },
    });
    const file = dir.write("f.csv", keyColumnCsv(300));

    // Act
    const summary = await importCsv({
      file,
      target: { sqs: proxy.client(), queueUrl: sqs.queueUrl },
      retryBaseDelayMs: 1,
    });

    // Assess
    expect(summary).toMatchObject({ queued: 300, notQueued: 0, interrupted: false });
    expect(failedOnce.size).toBeGreaterThan(30);
    const ids = (await drainQueue(sqs.client(), sqs.queueUrl)).map((m) => m.update.publicId).sort();
    expect(ids).toStrictEqual(Array.from({ length: 300 }, (_, n) => orderId(n + 1)));
  });

  it("stops and keeps the checkpoint when SQS keeps failing a row, and a resume sends the rest once", async () => {
    // Prepare: row O0000042 fails on every attempt of the first import
    const { sqs, dir } = await setUp();
    let failing = true;
    const proxy = await fixture.proxyFor(sqs, {
      failEntries: (_call, entries) =>
        failing ? entries.filter((e) => e.MessageBody.includes(orderId(42))) : [],
    });
    const file = dir.write("s.csv", keyColumnCsv(200));
    const target = { sqs: proxy.client(), queueUrl: sqs.queueUrl };

    // Act
    const first = await importCsv({ file, target, maxAttempts: 2, retryBaseDelayMs: 1, concurrency: 2 });
    failing = false;
    const second = await importCsv({ file, target, resume: true });

    // Assess
    expect(first).toMatchObject({ notQueued: 1, interrupted: true, rejected: 0 });
    expect(importExitCode(first)).toBe(2);
    expect(second).toMatchObject({ queued: 200, interrupted: false });
    const ids = (await drainQueue(sqs.client(), sqs.queueUrl)).map((m) => m.update.publicId).sort();
    expect(ids).toStrictEqual(Array.from({ length: 200 }, (_, n) => orderId(n + 1)));
  });
});

describe("importCsv at size", () => {
  it("lands 10,000 rows as 10,000 messages less exactly the duplicates and rejects it reports", async () => {
    // Prepare: 10,000 rows, of which 30 repeat an earlier order and 20 have a bad id
    const { sqs, dir, target } = await setUp();
    const lines = ["public_id,clinic"];
    for (let n = 1; n <= 9_950; n++) lines.push(`${orderId(n)},c${n % 5}`);
    for (let n = 1; n <= 30; n++) lines.push(`${orderId(n * 100)},again`);
    for (let n = 1; n <= 20; n++) lines.push(`bad.${n},x`);
    const file = dir.write("big.csv", `${lines.join("\n")}\n`);

    // Act
    const summary = await importCsv({ file, target, now });

    // Assess
    expect(summary).toMatchObject({ rows: 10_000, queued: 9_950, superseded: 30, rejected: 20 });
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received).toHaveLength(10_000 - 30 - 20);
    expect(new Set(received.map((m) => m.update.publicId)).size).toBe(9_950);
    expect([...new Set(received.map((m) => m.update.issuedAt))]).toStrictEqual([START.toISOString()]);
    expect(received.find((m) => m.update.publicId === orderId(100))?.update.metadata).toStrictEqual({
      clinic: "again",
    });
  });
});

describe("importCsv into a FIFO queue", () => {
  it("groups by order and sets a deduplication id", async () => {
    // Prepare
    const { sqs, dir, target } = await setUp({ fifo: true });
    const file = dir.write("fifo.csv", keyColumnCsv(3));

    // Act
    await importCsv({ file, target, now });

    // Assess
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect(received.map((m) => [m.update.publicId, m.groupId, m.deduplicationId?.length])).toStrictEqual([
      [orderId(1), orderId(1), 64],
      [orderId(2), orderId(2), 64],
      [orderId(3), orderId(3), 64],
    ]);
  });
});
