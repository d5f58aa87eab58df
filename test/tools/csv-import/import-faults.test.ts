/**
 * An import under SQS's faults and crashes: a call refused as a whole is the queue's fault, not the
 * rows'; the checkpoint exists from the first send; a resume redoes exactly what the crash left
 * undone. The last test draws files, crash points and faults at random (fast-check; the seed is
 * fixed, and a failure prints it with the shrunk case).
 */
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importExitCode } from "../../../lib/cli/import/import-command.ts";
import { CheckpointError } from "../../../lib/tools/csv-import/errors.ts";
import { type ImportSummary, importCsv } from "../../../lib/tools/csv-import/import-csv.ts";
import type { InjectedFault, SqsProxy, SqsProxyOptions } from "../../support/sqs-proxy.ts";
import { keyColumnCsv, orderId } from "./support/files.ts";
import { importFixture } from "./support/import-fixture.ts";
import { drainQueue } from "./support/queue.ts";

const START = new Date("2026-11-27T10:00:00.000Z");
const now = () => START;
const ACCESS_DENIED: InjectedFault = { status: 403, type: "AccessDenied" };

const fixture = importFixture();

/** The queue behind the proxy, which refuses and fails what `proxyOptions` says. */
async function setUp(proxyOptions: SqsProxyOptions = {}) {
  const run = await fixture.setUp({ proxy: proxyOptions });
  return { ...run, proxy: run.proxy as SqsProxy };
}

const sendCalls = (proxy: SqsProxy) =>
  proxy.calls.filter((call) => call.action === "SendMessageBatch").length;

describe("importCsv when SQS refuses a call as a whole", () => {
  it("stops with its checkpoint, rejects no row, and a resume sends the rest once", async () => {
    // Prepare: from the third call on, SQS answers AccessDenied (an expired or revoked role)
    let refusing = true;
    const { sqs, dir, proxy, target } = await setUp({
      failCall: (action, call) =>
        refusing && action === "SendMessageBatch" && call >= 3 ? ACCESS_DENIED : undefined,
    });
    const file = dir.write("denied.csv", keyColumnCsv(300));

    // Act
    const first = await importCsv({ file, target, concurrency: 2, now });
    const callsBeforeStop = sendCalls(proxy);
    refusing = false;
    const second = await importCsv({ file, target, resume: true, now });

    // Assess
    expect(first).toMatchObject({ rejected: 0, interrupted: true, rejectsFile: undefined });
    expect(first.notQueued).toBeGreaterThan(0);
    expect(first.queueFailure).toMatch(/^SendMessageBatch failed: AccessDenied/);
    expect(importExitCode(first)).toBe(2);
    expect(existsSync(`${file}.rejects.csv`)).toBe(false);
    // It stops at the refusal: the calls already in flight, not the rest of the file.
    expect(callsBeforeStop).toBeLessThanOrEqual(2 + 2);
    expect(second).toMatchObject({ queued: 300, rejected: 0, interrupted: false });
    const ids = (await drainQueue(sqs.client(), sqs.queueUrl)).map((m) => m.update.publicId).sort();
    expect(ids).toStrictEqual(Array.from({ length: 300 }, (_, n) => orderId(n + 1)));
  });
});

describe("importCsv's checkpoint", () => {
  it("is on disk, with the import's start, before the first row is sent", async () => {
    // Prepare
    let atFirstSend: unknown;
    const { dir, target } = await setUp({
      onBatch: (call) => {
        if (call === 1)
          atFirstSend = JSON.parse(readFileSync(`${dir?.path}/early.csv.checkpoint.json`, "utf8"));
      },
    });
    const file = dir.write("early.csv", keyColumnCsv(30));

    // Act
    await importCsv({ file, target, now });

    // Assess
    expect(atFirstSend).toMatchObject({ startedAt: START.toISOString(), nextRow: 0, counts: { queued: 0 } });
  });

  it("must exist for --resume: without one, nothing is sent", async () => {
    // Prepare
    const { dir, proxy, target } = await setUp();
    const file = dir.write("none.csv", keyColumnCsv(10));

    // Act
    const refused: unknown = await importCsv({ file, target, resume: true }).catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(CheckpointError);
    expect((refused as Error).message).toMatch(
      /^nothing to resume: no checkpoint .*none\.csv\.checkpoint\.json/,
    );
    expect(sendCalls(proxy)).toBe(0);
  });

  it("follows the file's content: a touched file resumes, one edited at the same size does not", async () => {
    // Prepare: an import stopped before its first row
    const { dir, target } = await setUp();
    const stopped = new AbortController();
    stopped.abort();
    const text = keyColumnCsv(20);
    const file = dir.write("same.csv", text);
    await importCsv({ file, target, signal: stopped.signal, now });

    // Act
    utimesSync(file, new Date(), new Date("2030-01-01T00:00:00Z"));
    const touched = await importCsv({ file, target, resume: true, signal: stopped.signal, now });
    writeFileSync(file, text.replace("clinic-1", "clinic-9"));
    const edited: unknown = await importCsv({ file, target, resume: true }).catch((error: unknown) => error);

    // Assess
    expect(touched.resumed).toBe(true);
    expect(edited).toBeInstanceOf(CheckpointError);
    expect((edited as Error).message).toMatch(/changed since the import stopped/);
  });
});

/** One drawn case: a file of good, bad and repeated rows, where the first run crashes, and SQS's faults after. */
interface Case {
  rows: ("good" | "bad" | "again")[];
  /** The SendMessageBatch call at which the first run's process dies. */
  crashAt: number;
  /** Per later call, whether SQS fails some of its entries once (not the sender's fault). */
  entryFaults: boolean[];
  /** A later call SQS refuses as a whole (0: none), which stops a run for another resume. */
  refusalAt: number;
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  rows: fc.array(fc.constantFrom("good", "good", "good", "bad", "again"), { minLength: 20, maxLength: 300 }),
  crashAt: fc.integer({ min: 1, max: 12 }),
  entryFaults: fc.array(fc.boolean(), { maxLength: 30 }),
  refusalAt: fc.integer({ min: 0, max: 20 }),
});

/** The CSV of a case, and what must come of it: the last row of each good order, and the bad lines. */
function fileOf(rows: Case["rows"]) {
  const lines = ["public_id,clinic"];
  const newest = new Map<string, string>();
  const badLines: number[] = [];
  rows.forEach((kind, n) => {
    const line = n + 2;
    if (kind === "bad") {
      lines.push(`bad.${n},x`);
      badLines.push(line);
      return;
    }
    // "again" repeats an earlier order (or starts one), with new metadata that must win.
    const id = kind === "again" && n > 0 ? orderId(Math.floor(n / 2)) : orderId(n);
    lines.push(`${id},c${n}`);
    newest.set(id, `c${n}`);
  });
  return { text: `${lines.join("\n")}\n`, newest, badLines };
}

describe("importCsv, crashed and resumed under SQS's faults", () => {
  it("ends with every order's last row queued, each bad row listed once, and nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (drawn) => {
        await fixture.stop();
        const { text, newest, badLines } = fileOf(drawn.rows);
        let phase: "crashing" | "faulty" = "crashing";
        let onDiskAtCrash: { checkpoint?: string; rejects?: string } | undefined;
        const faultedOnce = new Set<string>();
        const {
          sqs: queue,
          dir: folder,
          target,
        } = await setUp({
          failCall: (action, call) => {
            if (action !== "SendMessageBatch") return undefined;
            if (phase === "crashing" && call >= drawn.crashAt) {
              // The process dies here: what is on disk now is all a resume will find.
              onDiskAtCrash ??= { checkpoint: readIfThere(checkpoint), rejects: readIfThere(rejects) };
              return ACCESS_DENIED;
            }
            return phase === "faulty" && call === drawn.refusalAt ? ACCESS_DENIED : undefined;
          },
          failEntries: (call, entries) => {
            if (phase !== "faulty" || !drawn.entryFaults[call % Math.max(1, drawn.entryFaults.length)])
              return [];
            const failing = entries.filter((entry) => !faultedOnce.has(entry.MessageBody)).slice(0, 2);
            for (const entry of failing) faultedOnce.add(entry.MessageBody);
            return failing;
          },
        });
        const file = folder.write("drawn.csv", text);
        const checkpoint = `${file}.checkpoint.json`;
        const rejects = `${file}.rejects.csv`;
        const options = { file, target, concurrency: 3, retryBaseDelayMs: 1, checkpointIntervalMs: 5, now };

        let summary: ImportSummary = await importCsv(options);
        if (onDiskAtCrash !== undefined) {
          restore(checkpoint, onDiskAtCrash.checkpoint);
          restore(rejects, onDiskAtCrash.rejects);
          phase = "faulty";
          for (let run = 0; summary.interrupted || run === 0; run++) {
            expect(run).toBeLessThan(3);
            summary = await importCsv({ ...options, resume: true });
          }
        }

        const received = await drainQueue(queue.client(), queue.queueUrl);
        const landed = new Map<string, string>();
        for (const { update } of received) {
          expect(update.issuedAt).toBe(START.toISOString());
          // A row the crash left unconfirmed may arrive twice, always the same.
          const seen = landed.get(update.publicId);
          expect(seen === undefined || seen === update.metadata.clinic).toBe(true);
          landed.set(update.publicId, update.metadata.clinic as string);
        }
        expect(landed).toStrictEqual(newest);
        const listed = existsSync(rejects)
          ? readFileSync(rejects, "utf8")
              .trim()
              .split("\n")
              .slice(1)
              .map((line) => Number(line.split(",")[0]))
          : [];
        expect(listed.sort((a, b) => a - b)).toStrictEqual(badLines);
        expect(summary).toMatchObject({ interrupted: false, rejected: badLines.length, queued: newest.size });
        expect(existsSync(checkpoint)).toBe(false);
      }),
      { seed: 20261129, numRuns: 12, endOnFailure: true },
    );
  }, 60_000);
});

function readIfThere(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

function restore(path: string, content: string | undefined): void {
  if (content === undefined) rmSync(path, { force: true });
  else writeFileSync(path, content);
}
