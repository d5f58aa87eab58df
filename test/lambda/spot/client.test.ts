import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, InvalidInputError } from "../../../lib/lambda/errors.ts";
import { SpotClient, type SpotClientOptions } from "../../../lib/lambda/spot/client.ts";
import { type Fault, type SpotSandbox, startSpotSandbox } from "../../../lib/local/sandbox/spot-sandbox.ts";

/** Fake, and distinctive enough to be found should it ever leak. */
const TOKEN = "fake-token-for-tests-DO-NOT-LEAK-7f3a";

let sandbox: SpotSandbox;
beforeAll(async () => {
  sandbox = await startSpotSandbox({ token: TOKEN, orders: ["O1", "O2"] });
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.setFaults({});
  sandbox.clearRequests();
});

function client(overrides: Partial<SpotClientOptions> = {}): SpotClient {
  return new SpotClient({
    baseUrl: sandbox.url,
    token: () => TOKEN,
    timeoutMs: 2_000,
    retryLimit: 2,
    retryMaxDelayMs: 2_000,
    retryBaseDelayMs: 10,
    ...overrides,
  });
}

const script = (...faults: Fault[]) => sandbox.setFaults({ script: faults.map((fault) => ({ fault })) });

describe("updateMetadata", () => {
  it("is applied, and the sandbox then holds the metadata", async () => {
    // Prepare
    const metadata = { plan: "gold", visits: 3, tags: ["a"], extra: null };

    // Act
    const outcome = await client().updateMetadata("O1", metadata);

    // Assess
    expect(outcome).toStrictEqual({
      kind: "applied",
      status: 200,
      drift: [],
      earlierAttemptMayLand: false,
      attempts: 1,
      latencyMs: expect.any(Number),
    });
    expect(sandbox.metadataOf("O1")).toStrictEqual(metadata);
    expect(sandbox.requests).toStrictEqual([
      expect.objectContaining({ method: "POST", path: "/api/v2/orders/O1/", authorized: true, metadata }),
    ]);
  });

  it("takes a base URL with a trailing slash", async () => {
    // Act
    const outcome = await client({ baseUrl: `${sandbox.url}/` }).updateMetadata("O2", { a: 1 });

    // Assess
    expect(outcome.kind).toBe("applied");
    expect(sandbox.requests[0]?.path).toBe("/api/v2/orders/O2/");
  });

  it("reports 404 as permanent with Spot's details, without retrying", async () => {
    // Act
    const outcome = await client().updateMetadata("O404", { a: 1 });

    // Assess
    expect(outcome).toStrictEqual({
      kind: "permanent",
      status: 404,
      errorType: "not_found",
      details: ["Order not found"],
      reason: "Spot answered 404 not_found: Order not found",
      logReason: expect.any(String),
      mayHaveLanded: false,
      attempts: 1,
      latencyMs: expect.any(Number),
    });
    expect(sandbox.requests).toHaveLength(1);
  });

  it.each([400, 422] as const)("reports %i as permanent with Spot's details", async (status) => {
    // Prepare
    script({ kind: "status", status });

    // Act
    const outcome = await client().updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({ kind: "permanent", status, errorType: "bad_request", attempts: 1 });
    expect("details" in outcome && outcome.details.length).toBe(1);
  });

  it("reports 401 as systemic, without retrying", async () => {
    // Act
    const outcome = await client({ token: () => "fake-but-wrong-token" }).updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({
      kind: "systemic",
      status: 401,
      errorType: "unauthorized",
      details: ["Invalid token."],
      attempts: 1,
    });
    expect(sandbox.metadataOf("O1")).not.toStrictEqual({ a: 1 });
  });

  it("reports 403 as systemic", async () => {
    // Prepare
    script({ kind: "status", status: 403 });

    // Act
    const outcome = await client().updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({ kind: "systemic", status: 403, errorType: "forbidden", attempts: 1 });
  });

  it("retries a burst of 503s within the limit, then reports transient", async () => {
    // Prepare
    script(...Array.from({ length: 5 }, (): Fault => ({ kind: "status", status: 503 })));

    // Act
    const outcome = await client({ retryLimit: 2 }).updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({ kind: "transient", status: 503, errorType: "server_error", attempts: 3 });
    expect(sandbox.requests).toHaveLength(3);
  });

  it("recovers when a burst of 5xx ends within the limit", async () => {
    // Prepare
    script({ kind: "status", status: 500 }, { kind: "status", status: 502 });

    // Act
    const outcome = await client({ retryLimit: 2 }).updateMetadata("O1", { after: "burst" });

    // Assess
    expect(outcome).toMatchObject({ kind: "applied", attempts: 3 });
    expect(sandbox.requests.map((r) => r.status)).toStrictEqual([500, 502, 200]);
  });

  it("waits for the caller's pace before each retry, not before the first attempt", async () => {
    // Prepare
    script({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    const paced: number[] = [];

    // Act
    const outcome = await client({ retryLimit: 2 }).updateMetadata(
      "O1",
      { a: 1 },
      {
        beforeRetry: async () => {
          paced.push(sandbox.requests.length);
          return true;
        },
      },
    );

    // Assess: asked once before the second request and once before the third.
    expect(outcome).toMatchObject({ kind: "applied", attempts: 3 });
    expect(paced).toStrictEqual([1, 2]);
  });

  it("ends the call unsent when its pace would start the retry too late, uncertain if the attempt before was", async () => {
    // Prepare: a timeout (may have landed), then a pace that cannot start the retry in time.
    script({ kind: "hang" });

    // Act
    const outcome = await client({ timeoutMs: 100, retryLimit: 2 }).updateMetadata(
      "O1",
      { a: 1 },
      { beforeRetry: async () => false },
    );

    // Assess: one request only; the call's end is the deadline's, and still uncertain.
    expect(sandbox.requests).toHaveLength(1);
    expect(outcome).toMatchObject({
      kind: "transient",
      errorType: "deadline",
      mayHaveLanded: true,
      attempts: 1,
    });
  });

  it("gives up on a hung attempt at the timeout", async () => {
    // Prepare
    script({ kind: "hang" });

    // Act
    const outcome = await client({ timeoutMs: 200, retryLimit: 0 }).updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toStrictEqual({
      kind: "transient",
      errorType: "timeout",
      details: ["the attempt timed out after 200 ms"],
      reason: "no answer from Spot: the attempt timed out after 200 ms",
      logReason: expect.any(String),
      mayHaveLanded: true,
      attempts: 1,
      latencyMs: expect.any(Number),
    });
    // Ended by this call's 200-ms timeout: the hang never ends, and the client's usual one is 2 s (a
    // starved machine fires a 200-ms timer late, not 1.8 s late).
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(190);
    expect(outcome.latencyMs).toBeLessThan(2_000);
  });

  it("reports a call as uncertain when an earlier attempt timed out, even if the last was refused by Spot", async () => {
    // Prepare: the first attempt hangs (its write may land), the retries get Spot's 429 (answered
    // within a timeout a loaded machine's slow answer does not outrun).
    script({ kind: "hang" }, { kind: "status", status: 429 }, { kind: "status", status: 429 });

    // Act
    const outcome = await client({ timeoutMs: 1_500, retryLimit: 2, retryMaxDelayMs: 10 }).updateMetadata(
      "O1",
      { a: 1 },
    );

    // Assess
    expect(outcome).toMatchObject({ kind: "transient", status: 429, mayHaveLanded: true, attempts: 3 });
  });

  it("retries after a timeout (retryOnTimeout) and is applied", async () => {
    // Prepare: the first attempt hangs; the retry is answered within a timeout a loaded machine's
    // slow answer does not outrun.
    script({ kind: "hang" });

    // Act
    const outcome = await client({ timeoutMs: 1_500, retryLimit: 1 }).updateMetadata("O1", { after: "hang" });

    // Assess
    expect(outcome).toMatchObject({ kind: "applied", attempts: 2, earlierAttemptMayLand: true });
  });

  it("reports a reset as transient, and retries it", async () => {
    // Prepare
    script({ kind: "reset" }, { kind: "reset" });

    // Act
    const alone = await client({ retryLimit: 0 }).updateMetadata("O1", { a: 1 });
    const retried = await client({ retryLimit: 1 }).updateMetadata("O1", { after: "reset" });

    // Assess
    expect(alone).toMatchObject({ kind: "transient", errorType: "network", attempts: 1 });
    expect(retried).toMatchObject({ kind: "applied", attempts: 2 });
  });

  it("reports a 200 cut mid-body as uncertain: transient, may have landed, left to the queue", async () => {
    // Prepare: the write lands, its answer breaks after the headers.
    script({ kind: "commit-then-cut" });

    // Act: ky retries what fetch throws, not a body that breaks after it.
    const outcome = await client({ retryLimit: 1 }).updateMetadata("O1", { a: "cut" });

    // Assess
    expect(outcome).toMatchObject({
      kind: "transient",
      errorType: "network",
      mayHaveLanded: true,
      attempts: 1,
    });
    expect(sandbox.metadataOf("O1")).toStrictEqual({ a: "cut" });
  });

  it("reports a proxy's HTML 502 as transient", async () => {
    // Prepare
    script({ kind: "html", status: 502 }, { kind: "html", status: 502 });

    // Act
    const outcome = await client({ retryLimit: 1 }).updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({
      kind: "transient",
      status: 502,
      errorType: "non_json_error",
      details: ['an HTML page: "502 Bad Gateway"'],
      attempts: 2,
    });
  });

  it("reports a 200 that is not an order as uncertain: transient, may have landed, left to the queue", async () => {
    // Prepare
    script({ kind: "garbage" });

    // Act
    const outcome = await client().updateMetadata("O1", { a: 1 });

    // Assess
    expect(outcome).toMatchObject({
      kind: "transient",
      status: 200,
      errorType: "invalid_response",
      mayHaveLanded: true,
      attempts: 1,
    });
    expect("reason" in outcome && outcome.reason).toContain("not an order");
  });

  it.each(["../kits/X", "O1?x=1", "a/b", "", "O".repeat(500), "O1#frag", "O 1", "%2F"])(
    "rejects the publicId %j before any request",
    async (publicId) => {
      // Act
      const outcome = await client().updateMetadata(publicId, { a: 1 });
      const read = await client().getOrder(publicId);

      // Assess
      expect(outcome).toMatchObject({ kind: "permanent", errorType: "invalid_public_id", attempts: 0 });
      expect(read).toMatchObject({ kind: "permanent", errorType: "invalid_public_id", attempts: 0 });
      expect("reason" in outcome && outcome.reason.length).toBeLessThan(200);
      expect(sandbox.requests).toStrictEqual([]);
    },
  );

  it("throws InvalidInputError for metadata that is not an object (a programming error)", async () => {
    // Act
    const call = client().updateMetadata("O1", [1] as unknown as Record<string, unknown>);

    // Assess
    await expect(call).rejects.toThrow(InvalidInputError);
    expect(sandbox.requests).toStrictEqual([]);
  });
});

describe("the deadline and the caller's signal", () => {
  it("sends nothing when the deadline leaves no time", async () => {
    // Act
    const outcome = await client().updateMetadata("O1", { a: 1 }, { deadline: Date.now() + 20 });

    // Assess
    expect(outcome).toMatchObject({ kind: "transient", errorType: "deadline", attempts: 0 });
    expect(sandbox.requests).toStrictEqual([]);
  });

  it("cuts a hung attempt at the deadline, before the per-attempt timeout", async () => {
    // Prepare
    script({ kind: "hang" });

    // Act
    const outcome = await client({ timeoutMs: 5_000 }).updateMetadata(
      "O1",
      { a: 1 },
      { deadline: Date.now() + 250 },
    );

    // Assess: cut at the deadline, well before the attempt's 5-s timeout would have cut it.
    expect(outcome).toMatchObject({ kind: "transient", errorType: "deadline", attempts: 1 });
    expect(outcome.latencyMs).toBeLessThan(4_000);
  });

  it("reports the caller's abort as transient, without retrying", async () => {
    // Prepare
    script({ kind: "hang" });

    // Act
    const outcome = await client({ timeoutMs: 5_000 }).updateMetadata(
      "O1",
      { a: 1 },
      { signal: AbortSignal.timeout(100) },
    );

    // Assess
    expect(outcome).toMatchObject({ kind: "transient", errorType: "aborted", attempts: 1 });
  });
});

describe("getOrder", () => {
  it("reads the order back", async () => {
    // Prepare
    await client().updateMetadata("O2", { read: "back" });

    // Act
    const lookup = await client().getOrder("O2");

    // Assess
    expect(lookup.kind).toBe("found");
    expect(lookup.kind === "found" && lookup.order.metadata).toStrictEqual({ read: "back" });
    expect(sandbox.requests[1]).toMatchObject({ method: "GET", path: "/api/v2/orders/O2/" });
  });

  it("classifies failures like an update", async () => {
    // Act
    const lookup = await client().getOrder("O404");

    // Assess
    expect(lookup).toMatchObject({ kind: "permanent", status: 404, errorType: "not_found" });
  });
});

describe("configuration", () => {
  it.each([
    ["http://example.com", "baseUrl: must be https (plain http only for localhost)"],
    ["ftp://localhost", "baseUrl: must be https (plain http only for localhost)"],
    ["not a url", "baseUrl: must be a URL"],
    ["https://app.spotdx.com/?x=1", "baseUrl: must have no query or fragment"],
  ])("refuses the base URL %s", (baseUrl, problem) => {
    // Act
    const make = () => client({ baseUrl });

    // Assess
    expect(make).toThrow(ConfigError);
    expect(() => make()).toThrow(problem);
  });

  it("accepts https anywhere and http on localhost", () => {
    expect(() => client({ baseUrl: "https://app.spotdx.com" })).not.toThrow();
    expect(() => client({ baseUrl: "http://localhost:8080" })).not.toThrow();
  });

  it("names every bad number at once", () => {
    // Act
    let problems: readonly string[] = [];
    try {
      client({ timeoutMs: 0, retryLimit: -1, retryMaxDelayMs: 1.5 });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }

    // Assess
    expect(problems).toStrictEqual([
      "timeoutMs: must be an integer ≥ 1",
      "retryLimit: must be an integer ≥ 0",
      "retryMaxDelayMs: must be an integer ≥ 0",
    ]);
  });
});
