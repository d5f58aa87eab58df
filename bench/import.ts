/**
 * Benchmark of `spot-meta import`: CSVs of 100k and 1M rows into the embedded queue (fauxqs), with
 * rows/s and the importer's peak memory, next to a naive baseline (one awaited SendMessage per row)
 * measured in the same run.
 *
 *   npx node bench/import.ts            (both sizes; BENCH_SIZES=100000 for one)
 *
 * fauxqs keeps every message in memory, so it runs in this (parent) process and each import runs in
 * a child process of its own: the child's peak RSS is the importer's alone.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

// Imported where used: the child must not load fauxqs (its figure is the importer's alone).
const LOCAL = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

const SIZES = (process.env.BENCH_SIZES ?? "100000,1000000").split(",").map(Number);
const BASELINE_ROWS = 5_000;
const TARGETS = { rowsPerSecond: 5_000, timesBaseline: 20, peakMb: 200, growth: 1.2 };

interface ChildResult {
  rows: number;
  queued: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
}

if (process.argv[2] === "--child") await child(process.argv.slice(3));
else await main();

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "spot-meta-bench-"));
  console.log(
    `spot-meta import benchmark: ${cpus().length} cores, Node ${process.version}, fauxqs in the parent`,
  );
  try {
    const results: { size: number; result: ChildResult }[] = [];
    const baselineFile = join(dir, "baseline.csv");
    await writeCsv(baselineFile, BASELINE_ROWS);
    const baseline = await withQueue((queue) => runChild(["baseline", baselineFile, ...queue]));
    console.log(
      `naive baseline (one awaited SendMessage per row, ${BASELINE_ROWS} rows): ${fmt(baseline.rowsPerSecond)} rows/s, peak ${baseline.peakRssMb.toFixed(0)} MB`,
    );
    for (const size of SIZES) {
      const file = join(dir, `orders-${size}.csv`);
      await writeCsv(file, size);
      const result = await withQueue((queue) => runChild(["import", file, ...queue]));
      results.push({ size, result });
      console.log(
        `import ${fmt(size)} rows: ${result.seconds.toFixed(1)} s, ${fmt(result.rowsPerSecond)} rows/s (${(result.rowsPerSecond / baseline.rowsPerSecond).toFixed(0)}× baseline), peak RSS ${result.peakRssMb.toFixed(0)} MB (heap used ${result.peakHeapUsedMb.toFixed(0)} MB), queued ${fmt(result.queued)}`,
      );
    }
    console.log(
      "\n| rows | time | rows/s | × naive | peak RSS (importer) |\n| ---: | ---: | ---: | ---: | ---: |",
    );
    console.log(
      `| ${fmt(BASELINE_ROWS)} (naive) | ${baseline.seconds.toFixed(1)} s | ${fmt(baseline.rowsPerSecond)} | 1 | ${baseline.peakRssMb.toFixed(0)} MB |`,
    );
    for (const { size, result } of results) {
      console.log(
        `| ${fmt(size)} | ${result.seconds.toFixed(1)} s | ${fmt(result.rowsPerSecond)} | ${(result.rowsPerSecond / baseline.rowsPerSecond).toFixed(0)} | ${result.peakRssMb.toFixed(0)} MB |`,
      );
    }
    const checks = results.map(({ size, result }) => ({
      size,
      rate: result.rowsPerSecond >= TARGETS.rowsPerSecond,
      vsBaseline: result.rowsPerSecond >= TARGETS.timesBaseline * baseline.rowsPerSecond,
      memory: result.peakRssMb < TARGETS.peakMb,
      queuedAll: result.queued === size,
    }));
    const smallest = results[0]?.result.peakRssMb ?? 0;
    const largest = results.at(-1)?.result.peakRssMb ?? 0;
    console.log(
      `\ntargets: ≥${fmt(TARGETS.rowsPerSecond)} rows/s, ≥${TARGETS.timesBaseline}× naive, peak < ${TARGETS.peakMb} MB, largest ≤ ${TARGETS.growth}× smallest`,
    );
    for (const check of checks) console.log(`  ${fmt(check.size)}: ${JSON.stringify(check)}`);
    if (results.length > 1) {
      console.log(
        `  memory growth ${fmt(SIZES[0] ?? 0)} → ${fmt(SIZES.at(-1) ?? 0)}: ${(largest / smallest).toFixed(2)}×`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh fauxqs per run, so the parent does not carry a million messages into the next one. */
async function withQueue<T>(run: (queue: [string, string]) => Promise<T>): Promise<T> {
  const { startEmbeddedSqs } = await import("../lib/local/embedded-sqs.ts");
  const sqs = await startEmbeddedSqs();
  try {
    return await run([sqs.queueUrl, sqs.endpoint]);
  } finally {
    await sqs.stop();
  }
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
    const child = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), "--child", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(out) as ChildResult);
      else reject(new Error(`benchmark child exited with ${code}`));
    });
  });
}

async function child([mode, file, queueUrl, endpoint]: string[]): Promise<void> {
  if (file === undefined || queueUrl === undefined || endpoint === undefined)
    throw new Error("usage: --child MODE FILE QUEUE ENDPOINT");
  const sqs = new SQSClient({ endpoint, ...LOCAL });
  const started = performance.now();
  // Live data (heap used) next to RSS: RSS also holds V8's free heap, which grows with allocation rate.
  let peakHeapUsed = 0;
  const sampler = setInterval(() => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  }, 100);
  let rows: number;
  let queued: number;
  if (mode === "baseline") {
    rows = BASELINE_ROWS;
    queued = 0;
    // The naive way: one message per row, each send awaited before the next.
    for (let n = 1; n <= rows; n++) {
      const body = JSON.stringify({
        publicId: orderId(n),
        metadata: metadataOf(n),
        issuedAt: new Date().toISOString(),
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      queued++;
    }
  } else {
    const { importCsv } = await import("../lib/csv-import/import-csv.ts");
    const summary = await importCsv({ file, target: { sqs, queueUrl } });
    rows = summary.rows;
    queued = summary.queued;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const result: ChildResult = {
    rows,
    queued,
    seconds,
    rowsPerSecond: rows / seconds,
    // maxRSS is in KiB.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: peakHeapUsed / 1024 / 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write("public_id,clinic,cohort,campaign\n");
  for (let n = 1; n <= rows; n++) {
    const m = metadataOf(n);
    if (!out.write(`${orderId(n)},${m.clinic},${m.cohort},${m.campaign}\n`)) {
      await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  }
  out.end();
  await finished(out);
}

function metadataOf(n: number): { clinic: string; cohort: string; campaign: string } {
  return { clinic: `clinic-${n % 17}`, cohort: `2027-Q${(n % 4) + 1}`, campaign: `campaign-${n % 5}` };
}

function orderId(n: number): string {
  return `O${String(n).padStart(8, "0")}`;
}

function fmt(n: number): string {
  return new Intl.NumberFormat("en-US").format(Math.round(n));
}
