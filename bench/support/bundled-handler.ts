/**
 * The deployed function's memory, measured on the deployed artifact: `cdk synth` writes the cloud
 * assembly (the bundled handler and the template with its environment), and the bundle runs in a
 * child process of its own under the queue poller, against the local stack in this process,
 * with the environment the stack gives it (only the AWS endpoints point at this machine). The child's
 * peak RSS and heap are its alone; Lambda's "Max Memory Used" is the same kind of figure.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildSync } from "esbuild";
import { REPO_ROOT } from "../../infra/update-function.ts";
import { silentLogger } from "../../lib/lambda/logger.ts";
import { LOCAL_CREDENTIALS } from "../../lib/local/local-aws.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { type SecretsStandIn, STAND_IN_SECRET_ARN, startSecretsStandIn } from "./secrets-stand-in.ts";

export interface CloudAssembly {
  /** The bundled handler, `asset.<hash>/index.mjs`. */
  bundle: string;
  /**
   * The child's harness (bundle-child.ts) and its memory probe (peak-memory.ts), bundled to plain
   * JavaScript: running TypeScript would load Node's type stripper (~17 MB of RSS) into the figure.
   */
  harness: { child: string; preload: string };
  /** The function's environment as the template has it (deploy-time values as CloudFormation objects). */
  environment: Record<string, unknown>;
  remove(): void;
}

/** Runs `cdk synth` (offline, no AWS account) into a temporary directory. */
export function synthesize(): CloudAssembly {
  const dir = mkdtempSync(join(tmpdir(), "spot-meta-synth-"));
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, "node_modules", "aws-cdk", "bin", "cdk"), "synth", "--quiet", "--output", dir],
    {
      cwd: REPO_ROOT,
      // The app runs as `node infra/app.ts`: the Node running this script, whatever is on the PATH.
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
        CDK_DISABLE_VERSION_CHECK: "1",
      },
      // Its output (the bundling report) is noise here; a failure throws with it.
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const templateFile = readdirSync(dir).find((name) => name.endsWith(".template.json"));
  if (templateFile === undefined) throw new Error(`cdk synth wrote no template to ${dir}`);
  const template = JSON.parse(readFileSync(join(dir, templateFile), "utf8")) as {
    Resources: Record<
      string,
      { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
    >;
  };
  const fn = Object.values(template.Resources).find(
    (r) =>
      r.Type === "AWS::Lambda::Function" &&
      JSON.stringify(r.Properties.Environment ?? {}).includes("SPOT_META_"),
  );
  if (fn === undefined) throw new Error("the stack has no function with SPOT_META_ settings");
  const assetPath = fn.Metadata?.["aws:asset:path"];
  if (typeof assetPath !== "string") throw new Error("the function has no asset path in its metadata");
  // The runtime provides the AWS SDK; the project's node_modules stands in for it.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  const harness = { child: join(dir, "bundle-child.mjs"), preload: join(dir, "peak-memory.mjs") };
  for (const [entry, outfile] of [
    ["bundle-child.ts", harness.child],
    ["peak-memory.ts", harness.preload],
  ] as const) {
    buildSync({
      entryPoints: [join(import.meta.dirname, entry)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      external: ["@aws-sdk/*"],
      logLevel: "error",
    });
  }
  return {
    bundle: join(dir, assetPath, "index.mjs"),
    harness,
    environment: (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface MemoryRunOptions {
  assembly: CloudAssembly;
  messages: number;
  /** Metadata per message, as JSON (the contract allows 16 KiB). */
  metadataBytes: number;
  latencyMs: number;
  /** Node flags Lambda's runtime would add for this memory size (V8's heap limits); none: Node's own. */
  lambdaMemoryMb?: number;
  /** Handler settings over the stack's, as SPOT_META_* variables (e.g. a faster pace). */
  overrides: Record<string, string>;
}

export interface MemoryRun {
  /** X-Ray segment documents the tracer sent per invocation (to a UDP sink standing in for the daemon). */
  segmentsPerInvocation: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
  invocations: number;
  records: number;
  /** CPU time of the whole child per invocation, from its first invocation to its exit. */
  cpuMsPerInvocation: number;
  seconds: number;
}

/**
 * The heap limits the Lambda Node.js runtime's bootstrap gives V8 for a memory size: a tenth of the
 * memory for the young generation (half of it per semi-space), the rest for the old generation.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** Runs the bundled handler over `messages` updates; resolves when the source queue is empty. */
export async function measureBundledHandler(options: MemoryRunOptions): Promise<MemoryRun> {
  const stack = await startLocalStack({
    autoStart: false,
    logger: silentLogger,
    sandbox: { seedCount: options.messages, faults: { latencyMs: options.latencyMs } },
  });
  const secrets = await startSecretsStandIn(stack.sandbox.token);
  const daemon = await startXrayDaemonSink();
  const scratch = mkdtempSync(join(tmpdir(), "spot-meta-memory-"));
  const files = { peak: join(scratch, "peak.json"), stats: join(scratch, "stats.json") };
  try {
    const child = spawnBundledHandler(options, { stack, secrets, daemon, files });
    const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "bench" });
    const filler = "x".repeat(Math.max(0, options.metadataBytes - 60));
    const started = performance.now();
    await enqueue(producer, options.messages, filler);
    await Promise.race([
      stack.waitUntilDrained({ timeoutMs: 300_000 }),
      child.exited.then((code) => {
        throw new Error(`the bundled handler exited (${code}):\n${child.errors.join("")}`);
      }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    child.process.kill("SIGTERM");
    await child.exited;
    return readFigures(files, daemon, seconds);
  } finally {
    await Promise.all([stack.stop(), secrets.stop(), daemon.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What the bundled handler's child runs against, and the files its harness writes its figures to. */
interface ChildSurroundings {
  stack: LocalStack;
  secrets: SecretsStandIn;
  daemon: XrayDaemonSink;
  files: { peak: string; stats: string };
}

/**
 * Starts the bundle in a child process under the queue poller, with the environment the stack gives
 * it and Lambda's runtime variables; only the AWS endpoints point at this machine.
 */
function spawnBundledHandler(
  options: MemoryRunOptions,
  { stack, secrets, daemon, files }: ChildSurroundings,
): { process: ChildProcess; errors: string[]; exited: Promise<number | null> } {
  const environment = resolveEnvironment(options.assembly.environment, {
    SPOT_META_DLQ_URL: stack.queues.dlqUrl,
    SPOT_META_SPOT_TOKEN_SECRET_ID: STAND_IN_SECRET_ARN,
    SPOT_META_LEDGER_TABLE: stack.dynamoDb?.table ?? "",
    SPOT_META_SPOT_BASE_URL: stack.sandbox.url,
  });
  const nodeOptions = [
    environment.NODE_OPTIONS ?? "",
    `--import=${options.assembly.harness.preload}`,
    ...(options.lambdaMemoryMb === undefined ? [] : lambdaHeapFlags(options.lambdaMemoryMb)),
  ].join(" ");
  const child = spawn(
    process.execPath,
    [options.assembly.harness.child, options.assembly.bundle, stack.queues.queueUrl, stack.queues.queueArn],
    {
      env: {
        PATH: process.env.PATH,
        ...environment,
        ...options.overrides,
        NODE_OPTIONS: nodeOptions,
        BENCH_PEAK_FILE: files.peak,
        BENCH_STATS_FILE: files.stats,
        AWS_LAMBDA_FUNCTION_NAME: "spot-order-metadata-update-metadata",
        // What Lambda's runtime sets, which switches the tracer (X-Ray, active tracing) on.
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
        LAMBDA_TASK_ROOT: dirname(options.assembly.bundle),
        _HANDLER: "index.handler",
        AWS_XRAY_DAEMON_ADDRESS: daemon.address,
        AWS_REGION: stack.queues.region,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SQS: stack.queues.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoDb?.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      },
      // The handler's log lines are not what is measured here; errors are.
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const errors: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { process: child, errors, exited };
}

/** Queues the run's updates, each with `filler` in its metadata. */
async function enqueue(producer: Producer, messages: number, filler: string): Promise<void> {
  // 1 % of the updates are for orders Spot does not know: dead-lettered, as some are in production.
  const unknownEvery = 100;
  const results = await producer.enqueueMany(
    Array.from({ length: messages }, (_, i) => ({
      publicId: i % unknownEvery === unknownEvery - 1 ? `X${i}` : `O${String(i + 1).padStart(7, "0")}`,
      metadata: { clinic: `clinic-${i % 17}`, n: String(i + 1), notes: filler },
    })),
  );
  if (results.some((result) => !result.ok)) throw new Error("updates could not be queued");
}

/** The figures, from the files the child's harness wrote on its way out and the daemon's count. */
function readFigures(files: ChildSurroundings["files"], daemon: XrayDaemonSink, seconds: number): MemoryRun {
  const peak = JSON.parse(readFileSync(files.peak, "utf8")) as { peakRssMb: number; peakHeapUsedMb: number };
  const stats = JSON.parse(readFileSync(files.stats, "utf8")) as {
    invocations: number;
    records: number;
    cpuMs: number;
  };
  return {
    ...peak,
    invocations: stats.invocations,
    records: stats.records,
    cpuMsPerInvocation: stats.cpuMs / Math.max(1, stats.invocations),
    segmentsPerInvocation: daemon.segments() / Math.max(1, stats.invocations),
    seconds,
  };
}

/** The template's environment with what CloudFormation resolves at deploy time filled in. */
function resolveEnvironment(
  template: Record<string, unknown>,
  local: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template).map(([name, value]) => {
      const resolved = local[name] ?? (typeof value === "string" ? value : undefined);
      if (resolved === undefined)
        throw new Error(`${name} is resolved at deploy time; the bench does not know it`);
      return [name, resolved];
    }),
  );
}

interface XrayDaemonSink {
  address: string;
  segments(): number;
  stop(): Promise<void>;
}

/** A UDP socket where the X-Ray daemon would listen: counts the segment documents the tracer sends. */
async function startXrayDaemonSink(): Promise<XrayDaemonSink> {
  const socket = createSocket("udp4");
  let segments = 0;
  socket.on("message", () => {
    segments += 1;
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    segments: () => segments,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
