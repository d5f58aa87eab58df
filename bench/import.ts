/**
 * Benchmark of `spot-meta import`, in two scenarios measured in the same run:
 * - loopback: straight to the embedded queue (fauxqs) on this machine;
 * - latency: through a proxy on 127.0.0.1 that adds a fixed round trip (5 ms by default) to every
 *   call, as the network to SQS does.
 * In each, the importer is compared with a naive sender (one awaited SendMessage per row) measured
 * through the same path.
 *
 *   npx node bench/import.ts                       (npm run bench:import; ~3 minutes)
 *   npx node bench/import.ts --sizes 100000 --latency-sizes 20000 --rtt-ms 10
 *
 * The importer runs as an operator runs it: `bin/spot-meta.ts import … --json` executed through its
 * shebang (with this Node first on PATH, as npx does), in a child process whose peak RSS is the
 * importer's alone; fauxqs and the proxy stay in this process.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PEAK_PRELOAD = join(ROOT, "bench/support/peak-memory.ts");
const TARGETS = { rowsPerSecond: 5_000, timesNaive: 20, peakMb: 200, growth: 1.2 };

interface Measured {
  rows: number;
  queued: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
}

interface Scenario {
  name: "loopback" | "latency";
  naiveRows: number;
  sizes: number[];
}

if (process.argv[2] === "--child") await naiveChild(process.argv.slice(3));
else await main();

async function main(): Promise<void> {
  const { rttMs, scenarios } = readOptions();
  const dir = mkdtempSync(join(tmpdir(), "spot-meta-bench-"));
  console.log(
    `spot-meta import benchmark: ${cpus().length} cores, Node ${process.version}, fauxqs in the parent; latency scenario: +${rttMs} ms per round trip`,
  );
  const figures: Figures = { rows: [], checks: [] };
  try {
    for (const scenario of scenarios) {
      await runScenario(scenario, scenario.name === "latency" ? rttMs : undefined, dir, figures);
    }
    printFigures(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table's rows and the targets' checks, gathered over the scenarios. */
interface Figures {
  rows: string[];
  checks: string[];
}

function readOptions(): { rttMs: number; scenarios: Scenario[] } {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "100000,1000000" },
      "naive-rows": { type: "string", default: "5000" },
      "latency-sizes": { type: "string", default: "100000" },
      "latency-naive-rows": { type: "string", default: "1000" },
      "rtt-ms": { type: "string", default: "5" },
    },
  });
  const list = (text: string) =>
    text
      .split(",")
      .filter((s) => s !== "")
      .map(Number);
  const rttMs = Number(values["rtt-ms"]);
  const scenarios: Scenario[] = [
    { name: "loopback", naiveRows: Number(values["naive-rows"]), sizes: list(values.sizes) },
    {
      name: "latency",
      naiveRows: Number(values["latency-naive-rows"]),
      sizes: list(values["latency-sizes"]),
    },
  ].filter((scenario) => scenario.sizes.length > 0) as Scenario[];
  return { rttMs, scenarios };
}

/**
 * The naive sender, then the importer at each size, both through the scenario's path (`via`: the
 * latency proxy's round trip, or straight to the queue).
 */
async function runScenario(
  scenario: Scenario,
  via: number | undefined,
  dir: string,
  figures: Figures,
): Promise<void> {
  const naive = await withQueue(via, (queue) =>
    measure(
      [process.execPath, fileURLToPath(import.meta.url), "--child", String(scenario.naiveRows), ...queue],
      dir,
    ),
  );
  const perCallMs = (naive.seconds * 1000) / naive.rows;
  console.log(
    `${scenario.name}: naive ${fmt(naive.rows)} rows, ${fmt(naive.rowsPerSecond)} rows/s (${perCallMs.toFixed(2)} ms a call), peak RSS ${mb(naive.peakRssMb)}`,
  );
  figures.rows.push(row(scenario.name, `${fmt(naive.rows)}, naive`, naive, 1));
  const peaks: number[] = [];
  for (const size of scenario.sizes) {
    peaks.push(await runImport(scenario.name, size, { naive, via, dir }, figures));
  }
  if (peaks.length > 1) {
    const growth = (peaks.at(-1) as number) / (peaks[0] as number);
    figures.checks.push(
      `${scenario.name} memory ${fmt(scenario.sizes[0] ?? 0)} → ${fmt(scenario.sizes.at(-1) ?? 0)}: ${growth.toFixed(2)}× (target ≤ ${TARGETS.growth}×) ${growth <= TARGETS.growth ? "ok" : "MISSED"}`,
    );
  }
}

/**
 * One import of `size` rows from a fresh CSV, compared with the scenario's naive sender.
 * @returns the importer's peak RSS (MB)
 */
async function runImport(
  name: Scenario["name"],
  size: number,
  { naive, via, dir }: { naive: Measured; via: number | undefined; dir: string },
  figures: Figures,
): Promise<number> {
  const file = join(dir, `orders-${size}.csv`);
  await writeCsv(file, size);
  const result = await withQueue(via, (queue) => measure(importCommand(file, queue), dir));
  const times = result.rowsPerSecond / naive.rowsPerSecond;
  console.log(
    `${name}: import ${fmt(size)} rows, ${result.seconds.toFixed(1)} s, ${fmt(result.rowsPerSecond)} rows/s (${times.toFixed(1)}× naive), peak RSS ${mb(result.peakRssMb)} (heap used ${mb(result.peakHeapUsedMb)}), queued ${fmt(result.queued)}`,
  );
  figures.rows.push(row(name, fmt(size), result, times));
  const pass = (ok: boolean) => (ok ? "ok" : "MISSED");
  figures.checks.push(
    `${name} ${fmt(size)}: ≥${fmt(TARGETS.rowsPerSecond)} rows/s ${pass(result.rowsPerSecond >= TARGETS.rowsPerSecond)}, ≥${TARGETS.timesNaive}× naive ${pass(times >= TARGETS.timesNaive)}, peak < ${TARGETS.peakMb} MB ${pass(result.peakRssMb < TARGETS.peakMb)}, all queued ${pass(result.queued === size)}`,
  );
  rmSync(file);
  return result.peakRssMb;
}

function printFigures({ rows, checks }: Figures): void {
  console.log("\n| path | rows | time | rows/s | × naive | peak RSS (heap used) |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const line of rows) console.log(line);
  console.log("\ntargets:");
  for (const line of checks) console.log(`  ${line}`);
}

/** The command an operator types, run through bin/spot-meta.ts's own shebang. */
function importCommand(file: string, [queueUrl, endpoint]: [string, string]): string[] {
  return [
    join(ROOT, "bin/spot-meta.ts"),
    "import",
    file,
    "--queue-url",
    queueUrl,
    "--endpoint-url",
    endpoint,
    "--no-progress",
    "--json",
  ];
}

/**
 * A fresh fauxqs per run, so the parent does not carry a million messages into the next one; with
 * `rttMs`, the child reaches it through the latency proxy.
 */
async function withQueue<T>(
  rttMs: number | undefined,
  run: (queue: [string, string]) => Promise<T>,
): Promise<T> {
  // Imported here: the naive child must not load fauxqs.
  const { startEmbeddedSqs } = await import("../lib/local/embedded-sqs.ts");
  const { startLatencyProxy } = await import("./support/latency-proxy.ts");
  const sqs = await startEmbeddedSqs();
  const url = new URL(sqs.endpoint);
  const proxy =
    rttMs === undefined
      ? undefined
      : await startLatencyProxy({ host: url.hostname, port: Number(url.port) }, rttMs);
  try {
    if (proxy === undefined) return await run([sqs.queueUrl, sqs.endpoint]);
    // The SDK sends to the queue URL's host, so the URL must name the proxy too.
    return await run([sqs.queueUrl.replace(sqs.endpoint, proxy.endpoint), proxy.endpoint]);
  } finally {
    await proxy?.stop();
    await sqs.stop();
  }
}

/** Runs one child to its end; its stdout is the JSON summary (importer) or result (naive). */
function measure([command, ...args]: string[], dir: string): Promise<Measured> {
  const peakFile = join(dir, "peak.json");
  rmSync(peakFile, { force: true });
  const env = {
    ...process.env,
    // As npx does: this Node (24) first on PATH, for the `#!/usr/bin/env node` of bin/spot-meta.ts.
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${PEAK_PRELOAD}`.trim(),
    BENCH_PEAK_FILE: peakFile,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`benchmark child exited with ${code}: ${out.slice(0, 500)}`));
      const peak = JSON.parse(readFileSync(peakFile, "utf8")) as {
        peakRssMb: number;
        peakHeapUsedMb: number;
      };
      const summary = JSON.parse(out) as { rows: number; queued: number; durationMs: number };
      // The import's own clock (from reading the file to the last acknowledgement), not Node's start-up.
      const took = summary.durationMs / 1000;
      resolve({
        rows: summary.rows,
        queued: summary.queued,
        seconds: took,
        rowsPerSecond: summary.rows / took,
        ...peak,
      });
    });
  });
}

/** The naive way: one message per row, each send awaited before the next. */
async function naiveChild([count, queueUrl, endpoint]: string[]): Promise<void> {
  if (count === undefined || queueUrl === undefined || endpoint === undefined)
    throw new Error("usage: --child ROWS QUEUE ENDPOINT");
  const rows = Number(count);
  const sqs = new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const started = performance.now();
  for (let n = 1; n <= rows; n++) {
    const body = JSON.stringify({
      publicId: orderId(n),
      metadata: metadataOf(n),
      issuedAt: new Date().toISOString(),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  }
  const durationMs = performance.now() - started;
  process.stdout.write(JSON.stringify({ rows, queued: rows, durationMs }));
}

function row(path: string, rows: string, result: Measured, times: number): string {
  return `| ${path} | ${rows} | ${result.seconds.toFixed(1)} s | ${fmt(result.rowsPerSecond)} | ${times.toFixed(1)} | ${mb(result.peakRssMb)} (${mb(result.peakHeapUsedMb)}) |`;
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

function mb(n: number): string {
  return `${n.toFixed(0)} MB`;
}
