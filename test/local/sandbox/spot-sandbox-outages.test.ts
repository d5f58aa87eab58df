/**
 * The sandbox's refusals, slow 200s, redirects, outages and dark port: what the property test of
 * ordering draws beyond the per-request faults of spot-sandbox.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type SpotSandbox, startSpotSandbox } from "../../../lib/local/sandbox/spot-sandbox.ts";
import type { Fault, SandboxOptions } from "../../../lib/local/sandbox/types.ts";

let sandbox: SpotSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: SandboxOptions = {}): Promise<SpotSandbox> {
  sandbox = await startSpotSandbox({ orders: ["O1"], ...options });
  return sandbox;
}

/** POSTs `metadata` to O1 (or GETs it): the status and the parsed body, or the error's cause code. */
async function post(sb: SpotSandbox, metadata?: Record<string, unknown>, url = sb.url) {
  try {
    const response = await fetch(`${url}/api/v2/orders/O1/`, {
      method: metadata === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", authorization: `Token ${sb.token}` },
      redirect: "manual",
      ...(metadata === undefined ? {} : { body: JSON.stringify({ metadata }) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : text };
  } catch (error) {
    return { error: ((error as Error).cause as { code?: string } | undefined)?.code ?? String(error) };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts every 20 ms until `done` holds for the result (for 10 s at most: a hang detector). */
async function postUntil(
  sb: SpotSandbox,
  metadata: Record<string, unknown>,
  done: (result: Awaited<ReturnType<typeof post>>) => boolean,
) {
  for (const end = Date.now() + 10_000; ; await sleep(20)) {
    const result = await post(sb, metadata);
    if (done(result) || Date.now() > end) return result;
  }
}

describe("refusedFields: Spot's own validation", () => {
  it("refuses a field with its status in Spot's envelope, every time, and stores nothing", async () => {
    // Prepare
    const sb = await start({ refusedFields: { kit_type: 422 } });

    // Act
    const first = await post(sb, { kit_type: "x", a: 1 });
    const again = await post(sb, { kit_type: "x", a: 1 });
    const other = await post(sb, { a: 2 });

    // Assess
    const refusal = {
      error: { code: 422, type: "bad_request", details: ["metadata.kit_type: This field is not allowed."] },
    };
    expect([first.body, again.body]).toStrictEqual([refusal, refusal]);
    expect(other.status).toBe(200);
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 2 });
  });

  it.each<Fault>([
    { kind: "late-commit", afterMs: 20 },
    { kind: "commit-then-fail", status: 502 },
    { kind: "drift" },
  ])("is checked by the faults that commit, which then commit nothing: %o", async (fault) => {
    // Prepare
    const sb = await start({ refusedFields: { kit_type: 400 }, faults: { script: [{ fault }] } });

    // Act
    await post(sb, { kit_type: "x" });
    await sb.settled();

    // Assess
    expect(sb.metadataOf("O1")).toBeNull();
    expect(sb.requests[0]?.committedAt).toBeUndefined();
  });
});

describe("slow and redirect", () => {
  it("slow: answers Spot's 200 and commits, afterMs after arrival, without latencyMs on top", async () => {
    // Prepare
    const sb = await start({
      faults: { latencyMs: 1_000, script: [{ fault: { kind: "slow", afterMs: 120 } }] },
    });
    const started = performance.now();

    // Act
    const answer = await post(sb, { a: 1 });

    // Assess
    const took = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(took).toBeGreaterThanOrEqual(110);
    expect(took).toBeLessThan(900);
    expect(sb.requests[0]).toMatchObject({ fault: "slow", status: 200 });
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 1 });
  });

  it("redirect: sends the client to Spot's login page and commits nothing", async () => {
    // Prepare
    const sb = await start({ faults: { script: [{ fault: { kind: "redirect", status: 302 } }] } });

    // Act
    const answer = await post(sb, { a: 1 });

    // Assess
    expect(answer.status).toBe(302);
    expect(answer.headers?.get("location")).toBe(
      "https://app.spotdx.com/accounts/login/?next=%2Fapi%2Fv2%2Forders%2FO1%2F",
    );
    expect(sb.requests[0]?.fault).toBe("redirect:302");
    expect(sb.metadataOf("O1")).toBeNull();
  });
});

describe("outage", () => {
  it("answers every POST its 5xx in Spot's envelope during the window, GETs as usual, then heals", async () => {
    // Prepare
    const sb = await start({ faults: { outage: { afterMs: 0, forMs: 150, status: 500 } } });

    // Act
    const during = await post(sb, { a: 1 });
    const read = await post(sb);
    await sleep(200);
    const after = await post(sb, { a: 2 });

    // Assess
    expect(during.body).toStrictEqual({
      error: { code: 500, type: "server_error", details: ["Internal server error"] },
    });
    expect([read.status, after.status]).toStrictEqual([200, 200]);
    expect(sb.requests.map((r) => r.fault)).toStrictEqual(["outage:500", undefined, undefined]);
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 2 });
  });

  it("refuses a window or a status out of range", async () => {
    // Prepare
    const sb = await start();

    // Act / Assess
    expect(() => sb.setFaults({ outage: { afterMs: -1, forMs: 10, status: 500 } })).toThrow(RangeError);
    const bad = { afterMs: 0, forMs: 10, status: 404 } as unknown as { afterMs: 0; forMs: 10; status: 500 };
    expect(() => sb.setFaults({ outage: bad })).toThrow(RangeError);
    expect(() => sb.setFaults({ unreachable: { afterMs: 0, forMs: Number.NaN } })).toThrow(RangeError);
  });
});

describe("unreachable", () => {
  it("refuses connections during the window, then listens again on the same port", async () => {
    // Prepare: a keep-alive connection open before the window.
    const sb = await start();
    await post(sb, { a: 0 });
    sb.setFaults({ unreachable: { afterMs: 0, forMs: 1_000 } });

    // Act: post until refused, then until answered again, on the same URL (a starved machine may
    // be late for any instant chosen in the window, but not for the window: it comes, then ends).
    // (The keep-alive connection open before is reset as the window starts; then connections are refused.)
    const during = await postUntil(
      sb,
      { a: 1 },
      (result) => "error" in result && result.error === "ECONNREFUSED",
    );
    const after = await postUntil(sb, { a: 2 }, (result) => "status" in result);

    // Assess
    expect(during).toStrictEqual({ error: "ECONNREFUSED" });
    expect("status" in after && after.status).toBe(200);
    expect(sb.metadataOf("O1")).toStrictEqual({ a: 2 });
  });

  it("ends at once under a new plan, and close() during a window returns promptly", async () => {
    // Prepare
    const sb = await start({ faults: { unreachable: { afterMs: 0, forMs: 60_000 } } });
    await sleep(50);

    // Act
    sb.setFaults({});
    await sleep(50);
    const healed = await post(sb, { a: 1 });
    sb.setFaults({ unreachable: { afterMs: 0, forMs: 60_000 } });
    await sleep(50);
    const started = performance.now();
    await sb.close();

    // Assess
    expect(healed.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
