// Runs a bundled handler (from the cloud assembly) under the queue poller until SIGTERM:
// `node bundle-child.ts <index.mjs> <queueUrl> <queueArn>`. Its configuration is its environment
// only. On exit it writes to BENCH_STATS_FILE how many invocations it ran and the CPU time the
// process spent from the first invocation on (what Lambda's CPU share would have to cover).
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { SQSClient } from "@aws-sdk/client-sqs";
import { QueuePoller } from "../../lib/tools/poller.ts";

type Handler = ConstructorParameters<typeof QueuePoller>[0]["handler"];

const [bundle, queueUrl, queueArn] = process.argv.slice(2) as [string, string, string];
const { handler } = (await import(bundle)) as { handler: Handler };

// Emulating Lambda (LAMBDA_TASK_ROOT set), the runtime gives each invocation a trace header: sampled,
// so that X-Ray's tracer does all its work on every invocation.
const traced = process.env.LAMBDA_TASK_ROOT !== undefined;
const traceHeader = () =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=1`;

let invocations = 0;
let records = 0;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
const counted: Handler = (event, context) => {
  cpuAtFirst ??= process.cpuUsage();
  invocations += 1;
  records += event.Records.length;
  if (traced) process.env._X_AMZN_TRACE_ID = traceHeader();
  return handler(event, context);
};

new QueuePoller({
  sqs: new SQSClient({}),
  queueUrl,
  queueArn,
  region: process.env.AWS_REGION ?? "us-east-1",
  handler: counted,
  batchingWindowMs: 20,
}).start();

process.on("SIGTERM", () => process.exit(0));
process.on("exit", () => {
  const out = process.env.BENCH_STATS_FILE;
  if (out === undefined) return;
  const cpu = process.cpuUsage(cpuAtFirst);
  writeFileSync(out, JSON.stringify({ invocations, records, cpuMs: (cpu.user + cpu.system) / 1000 }));
});
process.stderr.write("polling\n");
