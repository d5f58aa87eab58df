/**
 * Cold start of the Lambda handler: the bundle's size and the time to import it in a fresh Node
 * process (median of N runs), next to the same handler with every dependency left unbundled
 * (`packages: "external"`, loaded from node_modules), measured in the same run. The bundle is built
 * with esbuild exactly as infra/update-function.ts configures NodejsFunction (ESM, node24, minified,
 * `mainFields: module,main`, the require banner, the AWS SDK external). Also lists what is biggest
 * in the bundle (esbuild's metafile), to see what earns its place.
 *
 *   npx node bench/cold-start.ts [--runs 10]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { HANDLER_ENTRY, REPO_ROOT } from "../infra/update-function.ts";
import { fmt, numberFlag } from "./support/pipeline-run.ts";

const RUNS = numberFlag("runs", 10);
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** What NodejsFunction runs for this stack's bundling options. */
const DEPLOYED: BuildOptions = {
  entryPoints: [HANDLER_ENTRY],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  mainFields: ["module", "main"],
  banner: { js: REQUIRE_BANNER },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: ["@aws-sdk/*"],
  metafile: true,
  logLevel: "error",
};

const VARIANTS: Array<{ name: string; options: BuildOptions }> = [
  { name: "deployed bundle (AWS SDK external)", options: DEPLOYED },
  { name: "unbundled (packages: external)", options: { ...DEPLOYED, packages: "external", external: [] } },
];

/** The environment the handler's configuration needs to load (fake values). */
const ENV = {
  PATH: process.env.PATH ?? "",
  AWS_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_NAME: "spot-order-metadata-update-metadata",
  SPOT_META_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/spot-order-metadata-dlq",
  SPOT_META_SPOT_TOKEN_SECRET_ID: "arn:aws:secretsmanager:us-east-1:000000000000:secret:fake-AbC123",
};

const dir = mkdtempSync(join(tmpdir(), "spot-meta-cold-"));
// The runtime provides the AWS SDK; the project's node_modules stands in for it (and, unbundled, for all).
symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
try {
  console.log(`cold start: Node ${process.version}, ${RUNS} fresh processes per variant, interleaved`);
  const built: Array<{ name: string; file: string; bytes: number; metafile: Metafile | undefined }> = [];
  for (const [i, variant] of VARIANTS.entries()) {
    const file = join(dir, `handler-${i}.mjs`);
    const result = await build({ ...variant.options, outfile: file });
    built.push({ name: variant.name, file, bytes: statSync(file).size, metafile: result.metafile });
  }
  const probe = join(dir, "probe.mjs");
  writeFileSync(
    probe,
    "const t = performance.now(); const m = await import(process.argv[2]); if (typeof m.handler !== 'function') process.exit(2); process.stdout.write(String(performance.now() - t));",
  );
  const times = built.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) {
    for (const [i, variant] of built.entries()) {
      const ms = Number(
        execFileSync(process.execPath, [probe, variant.file], { env: ENV, encoding: "utf8" }),
      );
      times[i]?.push(ms);
    }
  }
  console.log("\n| variant | handler file | import time, median (min–max) |\n| --- | ---: | ---: |");
  for (const [i, variant] of built.entries()) {
    const sorted = [...(times[i] ?? [])].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(
      `| ${variant.name} | ${fmt(variant.bytes / 1024)} KB | ${fmt(median)} ms (${fmt(sorted[0] ?? 0)}–${fmt(sorted.at(-1) ?? 0)}) |`,
    );
  }
  const metafile = built[0]?.metafile;
  if (metafile !== undefined) {
    const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
    const byPackage = new Map<string, number>();
    for (const [path, input] of Object.entries(output?.inputs ?? {})) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key =
        match?.[1] ?? (path.startsWith("lib/") || path.startsWith("functions/") ? "(our code)" : path);
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
    console.log("\nwhat the deployed bundle holds (minified bytes by package):");
    for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
      console.log(`  ${name.padEnd(28)} ${fmt(bytes / 1024, 1).padStart(7)} KB`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
