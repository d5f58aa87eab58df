/**
 * The deployed artifact is the tested artifact: synthesize the stack with its handler bundled (the
 * only tests that run esbuild: the others skip bundling to stay fast), check the bundle's shape, and
 * run it through the local stack with the environment the stack gave it. Only the AWS endpoints
 * point at this machine: fauxqs for SQS, dynalite for the ledger, and a Secrets Manager stand-in
 * speaking its JSON protocol over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HANDLER_ENTRY, REPO_ROOT } from "../../infra/update-function.ts";
import { LOCAL_CREDENTIALS } from "../../lib/local/local-aws.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { captureLogs } from "../support/log-capture.ts";
import { drainQueue, orderId, sendBodies } from "../support/queues.ts";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:spot-token-AbC123";
let stack: LocalStack | undefined;
let child: ChildProcess | undefined;
let secrets: Server | undefined;

afterAll(async () => {
  child?.kill();
  await stack?.stop();
  await new Promise((resolve) => (secrets ? secrets.close(resolve) : resolve(undefined)));
  cleanUp();
});

const handlerMissing = !existsSync(HANDLER_ENTRY);
if (handlerMissing) console.warn(`skipping the artifact's tests: ${HANDLER_ENTRY} does not exist yet`);

/** The cloud assembly, as `cdk synth` makes it: its folder, the bundle's, and the stack's template. */
interface Artifact {
  outdir: string;
  assetDirs: string[];
  template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
}

describe.skipIf(handlerMissing)("the deployed artifact", () => {
  let artifact: Artifact;
  beforeAll(() => {
    const { app, outdir } = buildTestApp({}, { bundle: true, entry: HANDLER_ENTRY });
    const assembly = withoutCfnValidation(() => app.synth());
    const assetDirs = readdirSync(outdir)
      .filter((name) => name.startsWith("asset."))
      .map((name) => join(outdir, name));
    artifact = { outdir, assetDirs, template: assembly.stacks[0]?.template as Artifact["template"] };
  });

  it("is one minified ES module with a source map, exporting `handler` and leaving the AWS SDK to the runtime", () => {
    // Prepare
    const [assetDir = "missing"] = artifact.assetDirs;
    const bundle = readFileSync(join(assetDir, "index.mjs"), "utf8");
    const map = JSON.parse(readFileSync(join(assetDir, "index.mjs.map"), "utf8")) as {
      sources: string[];
      sourcesContent?: unknown;
    };
    const sizeKb = Math.round(statSync(join(assetDir, "index.mjs")).size / 1024);
    console.info(`bundle: index.mjs ${sizeKb} KB (minified, ESM), ${map.sources.length} sources`);

    // Assess
    expect(artifact.assetDirs).toHaveLength(1);
    expect(readdirSync(assetDir).sort()).toStrictEqual(["index.mjs", "index.mjs.map"]);
    expect(bundle.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.filter((source) => source.includes("node_modules/@aws-sdk/"))).toStrictEqual([]);
    expect(sizeKb).toBeLessThan(2048);
  });

  it("runs with the stack's environment and applies messages", async () => {
    // Prepare: the function's settings as the template gives them
    const { outdir, template } = artifact;
    const fn = Object.values(template.Resources).find(
      (r) =>
        r.Type === "AWS::Lambda::Function" &&
        JSON.stringify(r.Properties.Environment ?? {}).includes("SPOT_META_"),
    );
    if (fn === undefined) throw new Error("the stack has no function with SPOT_META_ settings");
    const stackEnvironment = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const bundle = join(artifact.assetDirs[0] ?? "missing", "index.mjs");
    // The runtime provides the AWS SDK; the project's node_modules stands in for it.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(outdir, "node_modules"));

    stack = await startLocalStack({
      autoStart: false,
      sandbox: { seedCount: 5 },
      logger: captureLogs().logger,
    });
    const { sqs, queues, sandbox, dynamoDb } = stack;
    secrets = await startSecretsManagerStandIn(sandbox.token);
    // What CloudFormation resolves at deploy time, resolved here to the local stack's values.
    const deployTime: Record<string, string> = {
      SPOT_META_DLQ_URL: queues.dlqUrl,
      SPOT_META_SPOT_TOKEN_SECRET_ID: SECRET_ARN,
      SPOT_META_LEDGER_TABLE: dynamoDb?.table ?? "",
    };
    const environment = Object.fromEntries(
      Object.entries(stackEnvironment).map(([name, value]) => {
        if (typeof value === "string")
          return [name, name === "SPOT_META_SPOT_BASE_URL" ? sandbox.url : value];
        const resolved = deployTime[name];
        if (resolved === undefined)
          throw new Error(`${name} is resolved at deploy time; the test does not know it`);
        return [name, resolved];
      }),
    );

    // Act
    child = spawn(
      process.execPath,
      [join(import.meta.dirname, "fixtures", "run-bundle.ts"), bundle, queues.queueUrl, queues.queueArn],
      {
        env: {
          PATH: process.env.PATH,
          ...environment,
          AWS_LAMBDA_FUNCTION_NAME: "spot-order-metadata-update",
          AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
          AWS_REGION: queues.region,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_SQS: queues.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: dynamoDb?.endpoint,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const output: string[] = [];
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    await sendBodies(sqs, queues.queueUrl, [
      { publicId: orderId(1), metadata: { source: "bundle" } },
      { publicId: orderId(2), metadata: { source: "bundle" } },
      { publicId: "Z404", metadata: {} },
    ]);
    await stack.waitUntilDrained({ timeoutMs: 30_000 }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nbundle output:\n${output.join("")}`);
    });

    // Assess
    console.info(`deployed bundle: ${Math.round(statSync(bundle).size / 1024)} KB`);
    expect(sandbox.metadataOf(orderId(1))).toStrictEqual({ source: "bundle" });
    expect(sandbox.metadataOf(orderId(2))).toStrictEqual({ source: "bundle" });
    expect((await drainQueue(sqs, queues.dlqUrl)).map((d) => [d.publicId, d.failure?.status])).toStrictEqual([
      ["Z404", 404],
    ]);
    const log = output.join("");
    expect(log).toContain('"outcome":"applied"');
    expect(log).not.toContain(sandbox.token);
    // Each invocation's counts flushed by the metrics middleware, and the instance's cold start once.
    const metrics = log
      .split("\n")
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const total = (name: string) => metrics.reduce((sum, document) => sum + Number(document[name] ?? 0), 0);
    expect([total("Applied"), total("DeadLettered"), total("ColdStart")]).toStrictEqual([2, 1, 1]);
    expect(new Set(metrics.map((document) => document.Service))).toStrictEqual(
      new Set(["spot-order-metadata-update"]),
    );
    expect(metrics.find((document) => "ColdStart" in document)?.service).toBe("spot-order-metadata");
  }, 60_000);
});

/** Answers GetSecretValue (Secrets Manager's JSON protocol) with the sandbox's token. */
async function startSecretsManagerStandIn(token: string): Promise<Server> {
  const server = createServer((request, response) => {
    const target = request.headers["x-amz-target"];
    request.resume().on("end", () => {
      if (target !== "secretsmanager.GetSecretValue") {
        response
          .writeHead(400, { "content-type": "application/x-amz-json-1.1" })
          .end(JSON.stringify({ __type: "InvalidRequestException" }));
        return;
      }
      response.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(
        JSON.stringify({
          ARN: SECRET_ARN,
          Name: "spot-token",
          SecretString: token,
          VersionId: "v1",
          CreatedDate: 0,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
