import { afterEach, describe, expect, it } from "vitest";
import { orderFullSchema } from "../../../lib/lambda/spot/order-schema.ts";
import {
  SANDBOX_ORDERS_PATH,
  type SpotSandbox,
  startSpotSandbox,
} from "../../../lib/local/sandbox/spot-sandbox.ts";
import type { Fault, SandboxOptions } from "../../../lib/local/sandbox/types.ts";

let sandbox: SpotSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: SandboxOptions = {}): Promise<SpotSandbox> {
  sandbox = await startSpotSandbox({ orders: ["O1", "O2"], ...options });
  return sandbox;
}

interface Sent {
  method?: string;
  path?: string;
  body?: string;
  authorization?: string | null;
  contentType?: string;
}

/** One request with plain fetch, answering status, headers and the parsed (or raw) body. */
async function send(sb: SpotSandbox, sent: Sent = {}) {
  const headers: Record<string, string> = { "content-type": sent.contentType ?? "application/json" };
  if (sent.authorization !== null) headers.authorization = sent.authorization ?? `Token ${sb.token}`;
  const response = await fetch(`${sb.url}${sent.path ?? "/api/v2/orders/O1/"}`, {
    method: sent.method ?? (sent.body === undefined ? "GET" : "POST"),
    headers,
    ...(sent.body === undefined ? {} : { body: sent.body }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body };
}

/** Sends like `send` but gives up after `giveUpMs`, as a client with a timeout would: the error's name. */
/**
 * Sends `sent` and gives up (a TimeoutError, as a client's timeout) as soon as the sandbox has read
 * its body: an answer the client never waits for. Waiting for the read, not a few milliseconds, so a
 * starved machine cannot give up before the sandbox has the update.
 */
async function abandon(sb: SpotSandbox, sent: Sent): Promise<string> {
  const headers = { "content-type": "application/json", authorization: `Token ${sb.token}` };
  const controller = new AbortController();
  const seen = sb.requests.length;
  const watch = setInterval(() => {
    if (sb.requests[seen]?.metadata === undefined) return;
    clearInterval(watch);
    controller.abort(new DOMException("the client gave up", "TimeoutError"));
  }, 5);
  return fetch(`${sb.url}${sent.path ?? "/api/v2/orders/O1/"}`, {
    method: "POST",
    headers,
    body: sent.body ?? "{}",
    signal: controller.signal,
  })
    .then(
      () => "answered",
      (error: Error) => error.name,
    )
    .finally(() => clearInterval(watch));
}

/**
 * When a late commit lands after its request arrived: long enough that what a test does meanwhile
 * (read the order, send a newer write, close the sandbox) is done first even on a starved machine.
 */
const LATE_MS = 2_000;

const update = (metadata: unknown) => JSON.stringify({ metadata });
const spotError = (code: number, type: string, details: string[]) => ({ error: { code, type, details } });

describe("the token", () => {
  it.each([
    ["no Authorization header", null, "Authentication credentials were not provided."],
    ["a wrong token", "Token not-the-sandbox-token", "Invalid token."],
    ["a wrong scheme", "Bearer sandbox-token-not-a-secret", "Invalid token."],
    ["no space after the scheme", "Tokensandbox-token-not-a-secret", "Invalid token."],
  ])("is refused with 401 for %s", async (_name, authorization, detail) => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { body: update({ a: 1 }), authorization });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toStrictEqual(spotError(401, "unauthorized", [detail]));
    expect(sb.requests[0]?.authorized).toBe(false);
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("defaults to an obviously fake one and takes another", async () => {
    // Act
    const sb = await start({ token: "test-token-fake" });

    // Assess
    expect(sb.token).toBe("test-token-fake");
    expect((await send(sb, { authorization: "Token test-token-fake" })).status).toBe(200);
  });
});

describe("orders", () => {
  it("serves seeded orders as Spot's full order, and 404 for unknown ones", async () => {
    // Prepare
    const sb = await start({ orders: [], seedCount: 3 });

    // Act
    const known = await send(sb, { path: "/api/v2/orders/O0000003/" });
    const unknown = await send(sb, { path: "/api/v2/orders/O0000004/" });

    // Assess
    expect(known.status).toBe(200);
    expect(orderFullSchema.parse(known.body).order_id).toBe("O0000003");
    expect(orderFullSchema.parse(known.body).metadata).toBeNull();
    expect(unknown.status).toBe(404);
    expect(unknown.body).toStrictEqual(spotError(404, "not_found", ["Order not found"]));
  });

  it("replaces the metadata as a whole, bumps updated, and reads it back", async () => {
    // Prepare
    const sb = await start();
    const before = orderFullSchema.parse((await send(sb)).body);
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    await send(sb, { body: update({ a: 1, b: 2 }) });
    const second = await send(sb, { body: update({ c: { d: [1, null] } }) });
    const read = await send(sb);

    // Assess
    const answered = orderFullSchema.parse(second.body);
    expect(second.status).toBe(200);
    expect(answered.metadata).toStrictEqual({ c: { d: [1, null] } });
    expect(Date.parse(answered.updated)).toBeGreaterThan(Date.parse(before.updated));
    expect(answered.created).toBe(before.created);
    expect(read.body).toStrictEqual(second.body);
    expect(sb.metadataOf("O1")).toStrictEqual({ c: { d: [1, null] } });
    expect(sb.metadataOf("O2")).toBeNull();
    expect(sb.metadataOf("O9")).toBeUndefined();
  });

  it("clears the metadata with {}", async () => {
    // Prepare
    const sb = await start();
    await send(sb, { body: update({ a: 1 }) });

    // Act
    const answer = await send(sb, { body: update({}) });

    // Assess
    expect(answer.status).toBe(200);
    expect(sb.metadataOf("O1")).toStrictEqual({});
  });

  it("adds orders later and decodes percent-encoded ids", async () => {
    // Prepare
    const sb = await start();

    // Act
    sb.addOrders(["new_order-1"]);
    const answer = await send(sb, { path: `/api/v2/orders/${encodeURIComponent("new_order-1")}/` });

    // Assess
    expect(answer.status).toBe(200);
    expect(sb.requests[0]?.publicId).toBe("new_order-1");
  });

  it("creates orders through its own endpoint, with the token, for a local run to fix a 404", async () => {
    // Prepare
    const sb = await start();
    const body = JSON.stringify({ publicIds: ["O77", "O78"] });

    // Act
    const unauthorized = await send(sb, { path: SANDBOX_ORDERS_PATH, body, authorization: "Token wrong" });
    const bad = await send(sb, { path: SANDBOX_ORDERS_PATH, body: JSON.stringify({ publicIds: ["a/b"] }) });
    const created = await send(sb, { path: SANDBOX_ORDERS_PATH, body });

    // Assess
    expect([unauthorized.status, bad.status]).toStrictEqual([401, 400]);
    expect(created).toMatchObject({ status: 201, body: { created: ["O77", "O78"] } });
    expect(sb.metadataOf("O77")).toBeNull();
  });

  it("answers 404 without the trailing slash, like Django", async () => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { path: "/api/v2/orders/O1", body: update({ a: 1 }) });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body).toStrictEqual(spotError(404, "not_found", ["Not found"]));
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("answers 405 for other methods", async () => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { method: "PUT", body: update({ a: 1 }) });

    // Assess
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET, POST");
  });
});

describe("bad bodies", () => {
  it.each([
    ["not JSON", "{metadata:", ["JSON parse error"]],
    ["empty", "", ["JSON parse error"]],
    ["an array", "[1]", ["non_field_errors: Invalid data. Expected a dictionary"]],
    ["missing metadata", "{}", ["metadata: Field is required"]],
    ["null metadata", update(null), ["metadata: Field may not be null"]],
    ["metadata as an array", update([1]), ["metadata: Must be a JSON object"]],
    ["metadata as a string", update("x"), ["metadata: Must be a JSON object"]],
    [
      "unknown fields",
      JSON.stringify({ metadata: {}, extra: 1, more: 2 }),
      ["extra: Unknown field", "more: Unknown field"],
    ],
    [
      "all wrong at once",
      JSON.stringify({ meta: {} }),
      ["metadata: Field is required", "meta: Unknown field"],
    ],
  ])("answers 400 for a body that is %s", async (_name, body, details) => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { body, method: "POST" });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toStrictEqual(spotError(400, "bad_request", details));
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("answers 400 when the body is not declared as JSON", async () => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { body: update({ a: 1 }), contentType: "text/plain" });

    // Assess
    expect(answer.body).toStrictEqual(
      spotError(400, "bad_request", ["Content-Type: must be application/json"]),
    );
  });

  it("checks the order before the body, as Spot would", async () => {
    // Prepare
    const sb = await start();

    // Act
    const answer = await send(sb, { path: "/api/v2/orders/O404/", body: "{}" });

    // Assess
    expect(answer.status).toBe(404);
  });
});

describe("the request log", () => {
  it("records every request in arrival order, with what was answered", async () => {
    // Prepare
    const sb = await start();

    // Act
    await send(sb, { body: update({ a: 1 }) });
    await send(sb, { path: "/api/v2/orders/O2/?x=1" });
    await send(sb, { path: "/elsewhere", authorization: null });

    // Assess
    const [first, second, third] = sb.requests;
    expect(sb.requests).toHaveLength(3);
    expect(first).toStrictEqual({
      method: "POST",
      path: "/api/v2/orders/O1/",
      publicId: "O1",
      authorized: true,
      metadata: { a: 1 },
      status: 200,
      receivedAt: expect.any(Number),
      answeredAt: expect.any(Number),
      committedAt: expect.any(Number),
      commitSeq: 1,
    });
    expect([second?.path, second?.publicId, second?.status]).toStrictEqual([
      "/api/v2/orders/O2/?x=1",
      "O2",
      200,
    ]);
    expect([third?.publicId, third?.authorized, third?.status]).toStrictEqual([undefined, false, 401]);
    expect((first?.answeredAt ?? 0) >= (first?.receivedAt ?? 1)).toBe(true);
    expect([second?.committedAt, third?.committedAt]).toStrictEqual([undefined, undefined]);
  });

  it("names, per order, the request whose update the order holds, through clearRequests", async () => {
    // Prepare
    const sb = await start();
    await send(sb, { body: update({ a: 1 }) });
    await send(sb, { body: update({ a: 2 }) });
    await send(sb, { body: update({ b: 1 }), path: "/api/v2/orders/O2/" });
    await send(sb, { body: update(null) });

    // Act
    sb.clearRequests();

    // Assess
    expect(sb.lastCommitOf("O1")).toMatchObject({ metadata: { a: 2 }, commitSeq: 2 });
    expect(sb.lastCommitOf("O2")).toMatchObject({ metadata: { b: 1 }, commitSeq: 3 });
    expect(sb.lastCommitOf("O9")).toBeUndefined();
  });

  it("is emptied by clearRequests", async () => {
    // Prepare
    const sb = await start();
    await send(sb);

    // Act
    sb.clearRequests();

    // Assess
    expect(sb.requests).toStrictEqual([]);
  });
});

describe("faults", () => {
  it("plays scripted faults in order, then serves normally", async () => {
    // Prepare
    const sb = await start({
      faults: {
        script: [
          { fault: { kind: "status", status: 503, retryAfter: "7" } },
          { fault: { kind: "html", status: 502 } },
          { fault: { kind: "garbage" } },
        ],
      },
    });

    // Act
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send(sb, { body: update({ i }) }));

    // Assess
    const [unavailable, html, garbage, normal] = answers;
    expect(unavailable?.status).toBe(503);
    expect(unavailable?.headers.get("retry-after")).toBe("7");
    expect(unavailable?.body).toStrictEqual(spotError(503, "server_error", ["Service unavailable"]));
    expect(html?.status).toBe(502);
    expect(html?.headers.get("content-type")).toBe("text/html");
    expect(String(html?.body)).toContain("<title>502 Bad Gateway</title>");
    expect(garbage?.status).toBe(200);
    expect(orderFullSchema.safeParse(garbage?.body).success).toBe(false);
    expect(normal?.status).toBe(200);
    expect(sb.requests.map((r) => r.fault)).toStrictEqual(["status:503", "html:502", "garbage", undefined]);
    expect(sb.metadataOf("O1")).toStrictEqual({ i: 3 });
  });

  it("aims a scripted fault at one order only", async () => {
    // Prepare
    const sb = await start({
      faults: { script: [{ fault: { kind: "status", status: 500 }, publicId: "O2" }] },
    });

    // Act
    const other = await send(sb, { path: "/api/v2/orders/O1/" });
    const aimed = await send(sb, { path: "/api/v2/orders/O2/" });
    const again = await send(sb, { path: "/api/v2/orders/O2/" });

    // Assess
    expect([other.status, aimed.status, again.status]).toStrictEqual([200, 500, 200]);
  });

  it("draws random faults from seeded dice: the same seed gives the same run", async () => {
    // Prepare
    const plan = { random: [{ fault: { kind: "status", status: 500 } as const, rate: 0.3 }] };
    const run = async (seed: number) => {
      const sb = await startSpotSandbox({ orders: ["O1"], faults: plan, seed });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 60; i++) statuses.push((await send(sb)).status);
        return statuses;
      } finally {
        await sb.close();
      }
    };

    // Act
    const first = await run(7);
    const again = await run(7);
    const other = await run(8);

    // Assess
    expect(again).toStrictEqual(first);
    expect(other).not.toStrictEqual(first);
    const failures = first.filter((status) => status === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
  });

  it("rate-limits past perSecond requests with 429 and Retry-After", async () => {
    // Prepare
    const sb = await start({ faults: { rateLimit: { perSecond: 5, retryAfterSeconds: 1 } } });

    // Act
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await send(sb));

    // Assess
    expect(answers.map((a) => a.status)).toStrictEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(answers[5]?.headers.get("retry-after")).toBe("1");
    expect(answers[5]?.body).toStrictEqual(spotError(429, "rate_limit_exceeded", ["Request was throttled."]));
    expect(sb.requests[5]?.fault).toBe("rate_limit");
  });

  it("adds latency before answering", async () => {
    // Prepare
    const sb = await start({ faults: { latencyMs: 60 } });
    const started = performance.now();

    // Act
    const answer = await send(sb);

    // Assess
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("resets the connection without answering", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "reset" } }] } });

    // Act
    const failed = await send(sb, { body: update({ a: 1 }) }).then(
      () => "answered",
      (error: Error) => error.name,
    );

    // Assess
    expect(failed).toBe("TypeError");
    expect(sb.requests[0]).toMatchObject({ fault: "reset", metadata: { a: 1 } });
    expect(sb.requests[0]?.status).toBeUndefined();
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("is replaced by setFaults, and {} is healthy again", async () => {
    // Prepare
    const sb = await start({ faults: { random: [{ fault: { kind: "status", status: 503 }, rate: 1 }] } });
    const sick = await send(sb);

    // Act
    sb.setFaults({});
    const healthy = await send(sb);

    // Assess
    expect([sick.status, healthy.status]).toStrictEqual([503, 200]);
  });

  it("refuses a plan that is out of range", async () => {
    // Prepare
    const sb = await start();

    // Act / Assess
    expect(() => sb.setFaults({ random: [{ fault: { kind: "garbage" }, rate: 1.5 }] })).toThrow(RangeError);
    expect(() => sb.setFaults({ latencyMs: { min: 10, max: 5 } })).toThrow(RangeError);
  });
});

describe("faults that let the write land", () => {
  it("late-commit: commits after afterMs though the client gave up, and answers nobody", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "late-commit", afterMs: LATE_MS } }] } });

    // Act
    const gaveUp = await abandon(sb, { body: update({ a: 1 }) });
    const before = sb.metadataOf("O1");
    await sb.settled();

    // Assess
    const [late] = sb.requests;
    expect(gaveUp).toBe("TimeoutError");
    expect(before).toBeNull();
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 1 });
    expect(late).toMatchObject({ fault: "late-commit", metadata: { a: 1 }, commitSeq: 1 });
    expect((late?.committedAt ?? 0) - (late?.receivedAt ?? 0)).toBeGreaterThanOrEqual(LATE_MS - 5);
    expect([late?.status, late?.answeredAt]).toStrictEqual([undefined, undefined]);
  });

  it("late-commit: answers the normal 200 to a client that waited", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "late-commit", afterMs: 80 } }] } });
    const started = performance.now();

    // Act
    const answer = await send(sb, { body: update({ a: 1 }) });

    // Assess
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(answer.status).toBe(200);
    expect(orderFullSchema.parse(answer.body).metadata).toStrictEqual({ a: 1 });
    expect(sb.requests[0]).toMatchObject({ status: 200, committedAt: expect.any(Number) });
  });

  it("late-commit: lands after a newer write that came in meanwhile, and the order holds the older", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "late-commit", afterMs: LATE_MS } }] } });
    await abandon(sb, { body: update({ v: "older" }) });

    // Act
    const newer = await send(sb, { body: update({ v: "newer" }) });
    await sb.settled();

    // Assess
    const [older, newerRequest] = sb.requests;
    expect(newer.status).toBe(200);
    expect(sb.metadataOf("O1")).toStrictEqual({ v: "older" });
    expect(sb.lastCommitOf("O1")).toBe(older);
    expect([newerRequest?.commitSeq, older?.commitSeq]).toStrictEqual([1, 2]);
  });

  it.each([
    ["a wrong token", { authorization: "Token wrong" }, 401],
    ["an unknown order", { path: "/api/v2/orders/O404/" }, 404],
    ["a bad body", { body: update("x") }, 400],
  ])("late-commit: goes through Spot's checks, so %s commits nothing", async (_name, sent, status) => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "late-commit", afterMs: 30 } }] } });

    // Act
    const answer = await send(sb, { body: update({ a: 1 }), ...sent });

    // Assess
    expect(answer.status).toBe(status);
    expect(sb.requests[0]?.committedAt).toBeUndefined();
    expect(sb.metadataOf("O1")).toBeNull();
    expect(sb.lastCommitOf("O1")).toBeUndefined();
  });

  it("late-commit: is not delayed further by latencyMs", async () => {
    // Prepare
    const sb = await start({
      faults: { latencyMs: 5_000, script: [{ fault: { kind: "late-commit", afterMs: 50 } }] },
    });
    const started = performance.now();

    // Act
    const answer = await send(sb, { body: update({ a: 1 }) });

    // Assess
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it.each([500, 502, 503, 504] as const)(
    "commit-then-fail: commits, then answers %i in Spot's envelope",
    async (status) => {
      // Prepare
      const sb = await start({ faults: { script: [{ fault: { kind: "commit-then-fail", status } }] } });

      // Act
      const answer = await send(sb, { body: update({ a: 1 }) });

      // Assess
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: { code: status, type: "server_error" } });
      expect(sb.metadataOf("O1")).toStrictEqual({ a: 1 });
      expect(sb.requests[0]).toMatchObject({ fault: `commit-then-fail:${status}`, status, commitSeq: 1 });
    },
  );

  it("commit-then-fail: answers its 5xx but commits nothing when Spot would refuse", async () => {
    // Prepare
    const sb = await start({
      faults: { script: [{ fault: { kind: "commit-then-fail", status: 502 }, publicId: "O404" }] },
    });

    // Act
    const answer = await send(sb, { body: update({ a: 1 }), path: "/api/v2/orders/O404/" });

    // Assess
    expect(answer.status).toBe(502);
    expect(sb.requests[0]?.committedAt).toBeUndefined();
  });

  it("commit-then-reset: commits, then destroys the socket", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "commit-then-reset" } }] } });

    // Act
    const failed = await send(sb, { body: update({ a: 1 }) }).then(
      () => "answered",
      (error: Error) => error.name,
    );

    // Assess
    expect(failed).toBe("TypeError");
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 1 });
    expect(sb.requests[0]).toMatchObject({ fault: "commit-then-reset", commitSeq: 1 });
    expect(sb.requests[0]?.status).toBeUndefined();
  });

  it("commit-then-cut: commits, sends the 200's headers and half its body, then drops the connection", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "commit-then-cut" } }] } });

    // Act
    const failed = await send(sb, { body: update({ a: 1 }) }).then(
      () => "read whole",
      (error: Error) => error.name,
    );

    // Assess
    expect(failed).toBe("TypeError");
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 1 });
    expect(sb.requests[0]).toMatchObject({ fault: "commit-then-cut", commitSeq: 1, status: 200 });
  });

  it("drift: commits, and answers the right order off the documented schema", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "drift" } }] } });
    const metadata = { a: 1, gone: null, nested: { keep: [1, null], gone: null } };

    // Act
    const answer = await send(sb, { body: update(metadata) });

    // Assess
    const body = answer.body as Record<string, unknown>;
    expect(answer.status).toBe(200);
    expect([body.order_id, body.status, body.recipient]).toStrictEqual(["O1", "on_hold", null]);
    expect(body.metadata).toStrictEqual({ a: 1, nested: { keep: [1, null] } });
    expect(orderFullSchema.safeParse(body).success).toBe(false);
    expect(sb.metadataOf("O1")).toStrictEqual(metadata);
    expect(sb.requests[0]).toMatchObject({ fault: "drift", status: 200, commitSeq: 1 });
  });

  it("draws them at random too, from the seeded dice", async () => {
    // Prepare
    const sb = await start({
      faults: {
        random: [
          { fault: { kind: "commit-then-fail", status: 503 }, rate: 0.4 },
          { fault: { kind: "drift" }, rate: 0.3 },
        ],
      },
    });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await send(sb, { body: update({ i }) })).status);

    // Assess
    const labels = new Set(sb.requests.map((r) => r.fault));
    expect(labels).toStrictEqual(new Set(["commit-then-fail:503", "drift", undefined]));
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(5);
    expect(sb.requests.every((r) => r.commitSeq !== undefined)).toBe(true);
    expect(sb.metadataOf("O1")).toStrictEqual({ i: 39 });
  });
});

describe("answers that are not Spot's and commit nothing", () => {
  it("html 200: a maintenance page served as a success", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "html", status: 200 } }] } });

    // Act
    const answer = await send(sb, { body: update({ a: 1 }) });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/html");
    expect(String(answer.body)).toContain("<title>Down for maintenance</title>");
    expect(sb.requests[0]).toMatchObject({ fault: "html:200", status: 200 });
    expect(sb.requests[0]?.committedAt).toBeUndefined();
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("empty: 200 with an empty body", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "empty" } }] } });

    // Act
    const answer = await send(sb, { body: update({ a: 1 }) });

    // Assess
    expect([answer.status, answer.body]).toStrictEqual([200, ""]);
    expect(answer.headers.get("content-length")).toBe("0");
    expect(sb.requests[0]?.fault).toBe("empty");
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it.each([
    [403, "Forbidden"],
    [429, "Too Many Requests"],
    [502, "Bad Gateway"],
  ])("gateway %i: JSON, but not Spot's envelope", async (status, message) => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "gateway", status } }] } });

    // Act
    const answer = await send(sb, { body: update({ a: 1 }) });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.body).toStrictEqual({ message });
    expect(sb.requests[0]?.fault).toBe(`gateway:${status}`);
    expect(sb.metadataOf("O1")).toBeNull();
  });

  it("refuses their statuses and delays when out of range", async () => {
    // Prepare
    const sb = await start();

    // Act / Assess
    expect(() => sb.setFaults({ script: [{ fault: { kind: "gateway", status: 42 } }] })).toThrow(RangeError);
    expect(() => sb.setFaults({ script: [{ fault: { kind: "html", status: 200.5 } }] })).toThrow(RangeError);
    expect(() =>
      sb.setFaults({ random: [{ fault: { kind: "late-commit", afterMs: -1 }, rate: 0.1 }] }),
    ).toThrow(RangeError);
    const bad = { kind: "commit-then-fail", status: 404 } as unknown as Fault;
    expect(() => sb.setFaults({ script: [{ fault: bad }] })).toThrow(RangeError);
  });
});

describe("close()", () => {
  it("ends hung requests and returns promptly", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "hang" } }] } });
    const hung = send(sb).then(
      () => "answered",
      () => "ended",
    );
    while (sb.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    const started = performance.now();
    await sb.close();
    const took = performance.now() - started;

    // Assess
    expect(await hung).toBe("ended");
    expect(took).toBeLessThan(500);
    expect(sb.requests[0]?.fault).toBe("hang");
    expect(sb.requests[0]?.status).toBeUndefined();
  });

  it("closes idle keep-alive connections and delayed answers, and can be called twice", async () => {
    // Prepare
    const sb = await start();
    await Promise.all([send(sb), send(sb), send(sb)]);
    sb.setFaults({ latencyMs: 10_000 });
    const delayed = send(sb).then(
      () => "answered",
      () => "ended",
    );
    while (sb.requests.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    const started = performance.now();
    await Promise.all([sb.close(), sb.close()]);

    // Assess
    expect(performance.now() - started).toBeLessThan(500);
    expect(await delayed).toBe("ended");
  });

  it("cancels pending late commits, and lets settled() go", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "late-commit", afterMs: LATE_MS } }] } });
    await abandon(sb, { body: update({ a: 1 }) });
    const settled = sb.settled().then(() => "settled");

    // Act
    await sb.close();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(await settled).toBe("settled");
    expect(sb.metadataOf("O1")).toBeNull();
    expect(sb.requests[0]?.committedAt).toBeUndefined();
  });
});
