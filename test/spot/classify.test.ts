import { describe, expect, it } from "vitest";
import {
  checkOrderResponse,
  checkUpdateResponse,
  classifyHttpFailure,
  jsonEqual,
  parseRetryAfter,
} from "../../lib/spot/classify.ts";
import { seedOrder } from "../../lib/spot/order-schema.ts";

const NOW = Date.parse("2026-11-27T10:00:00.000Z");
const envelope = (code: number, type: string, details: string[]) => ({ error: { code, type, details } });
const NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";

describe("classifyHttpFailure", () => {
  it.each([
    [400, "bad_request", "permanent"],
    [404, "not_found", "permanent"],
    [422, "bad_request", "permanent"],
    [401, "unauthorized", "systemic"],
    [403, "forbidden", "systemic"],
    [408, "server_error", "transient"],
    [429, "rate_limit_exceeded", "transient"],
    [500, "server_error", "transient"],
    [502, "server_error", "transient"],
    [503, "server_error", "transient"],
    [504, "server_error", "transient"],
  ] as const)("%i with Spot's envelope is %s", (status, type, kind) => {
    // Act
    const failure = classifyHttpFailure(status, envelope(status, type, ["why"]), null, NOW);

    // Assess
    expect(failure).toStrictEqual({
      kind,
      status,
      errorType: type,
      details: ["why"],
      reason: expect.stringContaining(`${status} ${type}: why`),
    });
  });

  it("keeps Spot's details and reads Retry-After in seconds", () => {
    // Act
    const failure = classifyHttpFailure(429, envelope(429, "rate_limit_exceeded", ["slow down"]), "3", NOW);

    // Assess
    expect(failure.retryAfterMs).toBe(3000);
    expect(failure.details).toStrictEqual(["slow down"]);
  });

  it("treats an HTML page from a proxy as transient, whatever the status", () => {
    // Act
    const bad502 = classifyHttpFailure(502, NGINX_502, null, NOW);
    const proxy404 = classifyHttpFailure(404, "<html><title>404 Not Found</title></html>", null, NOW);

    // Assess
    expect(bad502).toStrictEqual({
      kind: "transient",
      status: 502,
      errorType: "non_json_error",
      details: ['an HTML page: "502 Bad Gateway"'],
      reason: 'Spot answered 502: an HTML page: "502 Bad Gateway"',
    });
    expect(proxy404.kind).toBe("transient");
    expect(proxy404.errorType).toBe("non_json_error");
  });

  it("treats 401 and 403 as systemic even without Spot's envelope", () => {
    // Act
    const failure = classifyHttpFailure(403, "Forbidden", null, NOW);

    // Assess
    expect([failure.kind, failure.errorType]).toStrictEqual(["systemic", "forbidden"]);
  });

  it("treats a redirect as systemic: the base URL is wrong for every message", () => {
    // Act
    const failure = classifyHttpFailure(301, undefined, null, NOW);

    // Assess
    expect([failure.kind, failure.errorType]).toStrictEqual(["systemic", "redirect"]);
  });

  it("treats a 4xx with some other JSON body as permanent", () => {
    // Act
    const failure = classifyHttpFailure(400, { detail: "Bad" }, null, NOW);

    // Assess
    expect(failure.kind).toBe("permanent");
    expect(failure.details).toStrictEqual(["a JSON body that is not Spot's error envelope"]);
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["0", 0],
    ["120", 120_000],
    [" 5 ", 5_000],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    ["Friday, 27-Nov-26 10:00:10 GMT", 10_000],
    [new Date(NOW - 60_000).toUTCString(), 0],
    ["soon", undefined],
    ["1.5", undefined],
    ["-3", undefined],
    ["", undefined],
  ])("%j → %j ms", (value, expected) => {
    // Act / Assess
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe("checkUpdateResponse", () => {
  const sent = { plan: "gold", tags: ["a", "b"], nested: { x: 1, y: null } };

  it("accepts the order holding exactly what was sent, in any key order", () => {
    // Prepare
    const body = JSON.stringify(
      seedOrder("O1", { metadata: { nested: { y: null, x: 1 }, tags: ["a", "b"], plan: "gold" } }),
    );

    // Act
    const check = checkUpdateResponse(body, "O1", sent);

    // Assess
    expect(check.ok).toBe(true);
  });

  it("rejects another order", () => {
    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O2", { metadata: sent })), "O1", sent);

    // Assess
    expect(check).toStrictEqual({
      ok: false,
      failure: {
        kind: "permanent",
        status: 200,
        errorType: "wrong_order",
        details: ["Spot answered 200 with order O2 instead of O1"],
        reason: "Spot answered 200 with order O2 instead of O1",
      },
    });
  });

  it("rejects stored metadata that differs, without repeating any value", () => {
    // Prepare
    const stored = { ...sent, plan: "silver-SECRET-VALUE" };

    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O1", { metadata: stored })), "O1", sent);

    // Assess
    expect(check.ok).toBe(false);
    const failure = check.ok ? undefined : check.failure;
    expect(failure?.errorType).toBe("metadata_mismatch");
    expect(failure?.reason).toContain("1 of 3 keys");
    expect(JSON.stringify(failure)).not.toContain("SECRET");
  });

  it("rejects an order with no metadata after an update", () => {
    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O1")), "O1", sent);

    // Assess
    expect(check.ok ? undefined : check.failure.errorType).toBe("metadata_mismatch");
  });

  it.each([
    ["not JSON", "<html>OK</html>", "body that is not JSON"],
    ["not an order", JSON.stringify({ success: true }), "order_id: "],
    [
      "an unknown status",
      JSON.stringify({ ...seedOrder("O1", { metadata: sent }), status: "shipped" }),
      "status: ",
    ],
  ])("rejects a body that is %s, saying what is wrong", (_name, body, expected) => {
    // Act
    const check = checkUpdateResponse(body, "O1", sent);

    // Assess
    expect(check.ok).toBe(false);
    const failure = check.ok ? undefined : check.failure;
    expect(failure?.kind).toBe("permanent");
    expect(failure?.errorType).toBe("invalid_response");
    expect(failure?.reason).toContain(expected);
  });
});

describe("checkOrderResponse", () => {
  it("returns the parsed order", () => {
    // Act
    const check = checkOrderResponse(JSON.stringify(seedOrder("O7")), "O7");

    // Assess
    expect(check.ok && check.order.order_id).toBe("O7");
  });
});

describe("jsonEqual", () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [2, 1], false],
    [{ a: null }, { a: {} }, false],
    [[], {}, false],
    ["1", 1, false],
  ])("%j vs %j → %s", (a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected);
  });
});
