import { describe, expect, it } from "vitest";
import {
  checkOrderResponse,
  checkUpdateResponse,
  classifyHttpFailure,
  jsonEqual,
  parseRetryAfter,
} from "../../../lib/lambda/spot/classify.ts";
import { seedOrder } from "../../../lib/lambda/spot/order-schema.ts";

const NOW = Date.parse("2026-11-27T10:00:00.000Z");
const envelope = (code: number, type: string, details: string[]) => ({ error: { code, type, details } });
const NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";

describe("what a log line may say of Spot's refusal", () => {
  it("names the fields Spot complains about and its error type, never its words, which may quote a value", () => {
    const failure = classifyHttpFailure(
      400,
      envelope(400, "bad_request", [
        'metadata.dob: "1990-02-31" is not a valid date',
        "first_name: Field is required",
      ]),
      null,
      NOW,
    );
    expect(failure.logReason).toBe("Spot answered 400 bad_request (fields: metadata.dob, first_name)");
    expect(failure.reason).toContain("1990-02-31"); // the DLQ keeps them, beside the metadata it holds
  });

  it("names no field when Spot's details name none", () => {
    const failure = classifyHttpFailure(
      422,
      envelope(422, "bad_request", ["Something about 1990-02-31"]),
      null,
      NOW,
    );
    expect(failure.logReason).toBe("Spot answered 422 bad_request");
  });
});

describe("classifyHttpFailure", () => {
  // A 4xx in Spot's own envelope proves Spot refused the write; a 5xx may come after it landed.
  it.each([
    [400, "bad_request", "permanent", false],
    [404, "not_found", "permanent", false],
    [422, "bad_request", "permanent", false],
    [401, "unauthorized", "systemic", false],
    [403, "forbidden", "systemic", false],
    [408, "server_error", "transient", false],
    [429, "rate_limit_exceeded", "transient", false],
    [500, "server_error", "transient", true],
    [502, "server_error", "transient", true],
    [503, "server_error", "transient", true],
    [504, "server_error", "transient", true],
  ] as const)(
    "%i with Spot's envelope is %s, %s, may have landed: %s",
    (status, type, kind, mayHaveLanded) => {
      // Act
      const failure = classifyHttpFailure(status, envelope(status, type, ["why"]), null, NOW);

      // Assess
      expect(failure).toStrictEqual({
        kind,
        status,
        errorType: type,
        details: ["why"],
        reason: expect.stringContaining(`${status} ${type}: why`),
        logReason: expect.any(String),
        mayHaveLanded,
      });
    },
  );

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
      logReason: expect.any(String),
      mayHaveLanded: true,
    });
    expect([proxy404.kind, proxy404.errorType, proxy404.mayHaveLanded, proxy404.foreign]).toStrictEqual([
      "transient",
      "non_json_error",
      true,
      true,
    ]);
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

  it("treats a 4xx with a gateway's JSON, outside Spot's envelope, as a foreign answer, not Spot's judgement", () => {
    // Act
    const failure = classifyHttpFailure(404, { message: "Not Found" }, null, NOW);

    // Assess
    expect(failure).toStrictEqual({
      kind: "transient",
      status: 404,
      errorType: "not_spot_envelope",
      details: ["a JSON body that is not Spot's error envelope"],
      reason: "404: a JSON body that is not Spot's error envelope (not Spot's error envelope: a gateway?)",
      logReason: expect.any(String),
      mayHaveLanded: true,
      foreign: true,
    });
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

  it("proves nothing with a 200 for another order: uncertain, not dead-lettered", () => {
    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O2", { metadata: sent })), "O1", sent);

    // Assess
    expect(check).toStrictEqual({
      ok: false,
      failure: {
        kind: "transient",
        status: 200,
        errorType: "wrong_order",
        details: ["Spot answered 200 for another order (O2)"],
        reason: "Spot answered 200 for another order (O2)",
        logReason: expect.any(String),
        mayHaveLanded: true,
        foreign: true,
      },
    });
  });

  it("applies an order of this id whose metadata differs, reporting the drift without any value", () => {
    // Prepare
    const stored = { ...sent, plan: "silver-SECRET-VALUE" };

    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O1", { metadata: stored })), "O1", sent);

    // Assess
    expect(check.ok && check.drift).toStrictEqual(["metadata: 1 of 3 keys differ from what was sent"]);
    expect(JSON.stringify(check.ok && check.drift)).not.toContain("SECRET");
  });

  it("applies an order of this id that holds no metadata after the update, as drift", () => {
    // Act
    const check = checkUpdateResponse(JSON.stringify(seedOrder("O1")), "O1", sent);

    // Assess
    expect(check.ok && check.drift).toStrictEqual(["metadata: the order holds none"]);
  });

  it.each([
    ["a status Spot never documented", { status: "on_hold" }, "status: "],
    ["a null recipient", { recipient: null }, "recipient: "],
  ])("applies an order of this id with %s, reporting the field that drifts", (_name, change, expected) => {
    // Act
    const body = JSON.stringify({ ...seedOrder("O1", { metadata: sent }), ...change });
    const check = checkUpdateResponse(body, "O1", sent);

    // Assess
    expect(check.ok).toBe(true);
    expect(check.ok && check.drift.length === 1 && check.drift[0]?.startsWith(expected)).toBe(true);
  });

  it.each([
    [
      "a maintenance page served with 200",
      "<html><title>Down for maintenance</title></html>",
      'an HTML page: "Down for maintenance"',
    ],
    ["an empty body", "", "an empty body"],
    ["JSON that is not an order", JSON.stringify({ success: true }), "JSON that is not an order"],
  ])("proves nothing with %s: uncertain, transient, may have landed", (_name, body, expected) => {
    // Act
    const check = checkUpdateResponse(body, "O1", sent);

    // Assess
    const failure = check.ok ? undefined : check.failure;
    expect([failure?.kind, failure?.errorType, failure?.mayHaveLanded]).toStrictEqual([
      "transient",
      "invalid_response",
      true,
    ]);
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
