import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpotClient, type SpotClientOptions } from "../../../lib/lambda/spot/client.ts";
import {
  type FaultPlan,
  type SpotSandbox,
  startSpotSandbox,
} from "../../../lib/local/sandbox/spot-sandbox.ts";

/** Fake, and distinctive enough to be found should it ever leak. */
const TOKEN = "fake-token-for-tests-DO-NOT-LEAK-91c2";

let sandbox: SpotSandbox;
/** A misbehaving server that echoes the Authorization header back in Spot's error details. */
let echo: Server;
let echoUrl: string;
beforeAll(async () => {
  sandbox = await startSpotSandbox({ token: TOKEN, orders: ["O1"] });
  echo = createServer((req, res) => {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: { code: 400, type: "bad_request", details: [`got ${req.headers.authorization}`] },
      }),
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sandbox.close();
  echo.closeAllConnections();
  await new Promise((resolve) => echo.close(resolve));
});

function client(overrides: Partial<SpotClientOptions> = {}): SpotClient {
  return new SpotClient({
    baseUrl: sandbox.url,
    token: () => TOKEN,
    timeoutMs: 200,
    retryLimit: 1,
    retryMaxDelayMs: 50,
    retryBaseDelayMs: 5,
    ...overrides,
  });
}

/** Runs `act` while capturing everything written to the console, stdout and stderr. */
async function capturingOutput<T>(act: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write, console: { ...console } };
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    console[method] = (...args: unknown[]) =>
      void chunks.push(args.map((a) => inspect(a, { depth: 10 })).join(" "));
  }
  try {
    return { result: await act(), output: chunks.join("\n") };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
    Object.assign(console, originals.console);
  }
}

const everything = (value: unknown) =>
  value instanceof Error
    ? `${String(value)}\n${value.stack}\n${inspect(value, { depth: 10, showHidden: true })}`
    : `${JSON.stringify(value)}\n${inspect(value, { depth: 10 })}`;

const scenarios: Array<[string, FaultPlan, () => Promise<unknown>]> = [
  ["applied", {}, () => client().updateMetadata("O1", { a: 1 })],
  ["404", {}, () => client().updateMetadata("O404", { a: 1 })],
  ["401", {}, () => client({ token: () => "fake-wrong-token" }).updateMetadata("O1", { a: 1 })],
  [
    "503 burst",
    { random: [{ fault: { kind: "status", status: 503 }, rate: 1 }] },
    () => client().updateMetadata("O1", {}),
  ],
  [
    "429 beyond the ceiling",
    { script: [{ fault: { kind: "status", status: 429, retryAfter: "60" } }] },
    () => client().updateMetadata("O1", {}),
  ],
  [
    "HTML 502",
    { random: [{ fault: { kind: "html", status: 502 }, rate: 1 }] },
    () => client().updateMetadata("O1", {}),
  ],
  ["garbage", { script: [{ fault: { kind: "garbage" } }] }, () => client().updateMetadata("O1", {})],
  ["hang", { random: [{ fault: { kind: "hang" }, rate: 1 }] }, () => client().updateMetadata("O1", {})],
  ["reset", { random: [{ fault: { kind: "reset" }, rate: 1 }] }, () => client().updateMetadata("O1", {})],
  ["invalid publicId", {}, () => client().updateMetadata("../kits/X", {})],
  [
    "metadata not an object",
    {},
    () => client().updateMetadata("O1", "x" as unknown as Record<string, unknown>),
  ],
  [
    "token lookup failing with the token in its message",
    {},
    () =>
      client({ token: () => Promise.reject(new Error(`could not use ${TOKEN}`)) }).updateMetadata("O1", {}),
  ],
  ["a token a header cannot carry", {}, () => client({ token: () => `${TOKEN}\n` }).updateMetadata("O1", {})],
  ["a server echoing the token", {}, () => client({ baseUrl: echoUrl }).updateMetadata("O1", {})],
  ["getOrder on a hang", { random: [{ fault: { kind: "hang" }, rate: 1 }] }, () => client().getOrder("O1")],
  ["a bad base URL", {}, async () => client({ baseUrl: `http://user:${TOKEN}@example.com` })],
];

describe("the token", () => {
  it.each(scenarios)("appears nowhere after %s: not returned, thrown or logged", async (_name, plan, act) => {
    // Prepare
    sandbox.setFaults(plan);

    // Act
    const { result, output } = await capturingOutput(() =>
      act().then(
        (value) => ({ returned: value }),
        (error: unknown) => ({ thrown: error }),
      ),
    );

    // Assess
    const seen = "thrown" in result ? everything(result.thrown) : everything(result.returned);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain(TOKEN);
    expect(output).not.toContain(TOKEN);
    sandbox.setFaults({});
  });

  it("is redacted should a server echo it", async () => {
    // Act
    const outcome = await client({ baseUrl: echoUrl }).updateMetadata("O1", {});

    // Assess
    expect(outcome).toMatchObject({ kind: "permanent", details: ["got Token [redacted]"] });
  });
});
