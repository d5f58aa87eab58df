/**
 * What the sandbox writes back: Spot's error envelope, a proxy's HTML page, a gateway's JSON, broken
 * and drifted 200s, and the check of an update's body with Spot-style details. Pure helpers over
 * node:http responses.
 */
import { type ServerResponse, STATUS_CODES } from "node:http";
import type { OrderFull } from "../../lambda/spot/order-schema.ts";

/** The error types Spot documents (docs/spot-api.md), by status. */
function errorTypeOf(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 422:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 429:
      return "rate_limit_exceeded";
    default:
      return "server_error";
  }
}

const DEFAULT_DETAILS: Record<number, string> = {
  400: "Bad request",
  401: "Invalid token.",
  403: "You do not have permission to perform this action.",
  404: "Order not found",
  408: "Request timeout",
  422: "Unprocessable entity",
  429: "Request was throttled.",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

/** Writes `{"error": {"code", "type", "details"}}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  details?: string[],
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({
    error: {
      code: status,
      type: errorTypeOf(status),
      details: details ?? [DEFAULT_DETAILS[status] ?? "Error"],
    },
  });
  sendJson(res, status, body, headers);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * The kind of page a load balancer shows when the service behind it is down; with a status below
 * 400, a maintenance page (some edges serve those as a success).
 */
export function sendHtml(res: ServerResponse, status: number): void {
  const title = status < 400 ? "Down for maintenance" : `${status} ${STATUS_CODES[status] ?? "Error"}`;
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(status, { "content-type": "text/html", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Where a misrouted edge sends a request: Spot's login page, which the client must not follow. */
const LOGIN_PAGE = "https://app.spotdx.com/accounts/login/";

/** A redirect to Spot's login page, with `next` the path asked for, and an empty body. */
export function sendRedirect(res: ServerResponse, status: number, path: string): void {
  res.writeHead(status, {
    location: `${LOGIN_PAGE}?next=${encodeURIComponent(path)}`,
    "content-length": 0,
  });
  res.end();
}

/** A 200 that is valid JSON but not an order: what a changed or broken API might send. */
export function sendGarbage(res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify({ success: true, message: "Metadata updated" }));
}

/** A 200 with nothing in it: what a proxy that lost the upstream's body might pass on. */
export function sendEmpty(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json", "content-length": 0 });
  res.end();
}

/**
 * What an API gateway or a WAF in front of Spot answers: JSON, but `{"message": "Forbidden"}` rather
 * than Spot's error envelope.
 */
export function sendGatewayError(res: ServerResponse, status: number): void {
  sendJson(res, status, JSON.stringify({ message: STATUS_CODES[status] ?? "Error" }));
}

/**
 * The order as a Spot that drifted from its documentation would render it: a status it never
 * documented, `recipient` null, and null values left out of `metadata` (as serializers told to omit
 * nulls do, at every depth). Everything else, order_id included, is right.
 */
export function driftedOrder(order: OrderFull): Record<string, unknown> {
  return {
    ...order,
    status: "on_hold",
    recipient: null,
    metadata: order.metadata === null ? null : withoutNulls(order.metadata),
  };
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    kept[key] = isPlainObject(item) ? withoutNulls(item) : item;
  }
  return kept;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const UPDATE_FIELDS = new Set(["metadata"]);

export type UpdateBodyCheck =
  | { ok: true; metadata: Record<string, unknown> }
  | { ok: false; details: string[] };

/**
 * Checks an update's body the way Spot's serializer would: JSON, an object, `metadata` required and
 * a JSON object, no unknown fields. Details read like Spot's (`"metadata: Field is required"`).
 */
export function checkUpdateBody(parsed: unknown): UpdateBodyCheck {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, details: ["non_field_errors: Invalid data. Expected a dictionary"] };
  }
  const body = parsed as Record<string, unknown>;
  const details: string[] = [];
  if (!Object.hasOwn(body, "metadata")) details.push("metadata: Field is required");
  else if (body.metadata === null) details.push("metadata: Field may not be null");
  else if (typeof body.metadata !== "object" || Array.isArray(body.metadata)) {
    details.push("metadata: Must be a JSON object");
  }
  for (const key of Object.keys(body)) {
    if (!UPDATE_FIELDS.has(key)) details.push(`${key}: Unknown field`);
  }
  if (details.length > 0) return { ok: false, details };
  return { ok: true, metadata: body.metadata as Record<string, unknown> };
}
