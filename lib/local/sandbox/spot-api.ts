/**
 * Spot's own behaviour in the sandbox: its orders, and the checks of a request in the order Spot's
 * framework makes them (token, route, order, body), then the commit. The faults are not here: the
 * server (spot-sandbox.ts) decides whether Spot gets to answer at all.
 */
import type { IncomingMessage } from "node:http";
import { publicIdSchema } from "../../lambda/contract.ts";
import type { OrderFull } from "../../lambda/spot/order-schema.ts";
import { OrderStore } from "./order-store.ts";
import { checkUpdateBody } from "./replies.ts";
import type { SandboxRequest } from "./types.ts";

/**
 * The sandbox's own endpoint (not Spot's): `POST {"publicIds": [...]}` with the token creates orders,
 * so a local run can show "fix the cause, then replay".
 */
export const SANDBOX_ORDERS_PATH = "/_sandbox/orders/";
/** Bodies above this are refused with 400 (Spot's own limit is not published; ours are ≤ 16 KiB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Spot's list of orders: the client reads it to tell a wrong base URL from orders that do not exist. */
const LIST_PATH = "/api/v2/orders/";
/** `/api/v2/orders/{id}` with or without the trailing slash; only the slashed form is served. */
export const ORDER_PATH = /^\/api\/v2\/orders\/([^/]+)(\/?)$/;

/** An answer of Spot's: an order, or the error envelope with these details. */
export type Answer =
  | { status: 200; order: OrderFull | undefined }
  | { status: 200; list: { count: number; next: null; previous: null; results: OrderFull[] } }
  | { status: 201; created: string[] }
  | { status: number; details: string[]; headers?: Record<string, string> };

function fail(status: number, detail: string): Answer {
  return { status, details: [detail] };
}

/** Spot's own behaviour: its orders, and its checks in the order Spot's framework makes them. */
export class SpotApi {
  readonly store = new OrderStore();
  /** Metadata fields Spot's validation refuses, with its status (SandboxOptions.refusedFields). */
  readonly #refusedFields: ReadonlyMap<string, 400 | 422>;
  /** Per order, the request whose update it holds: outlives clearRequests(), which long runs call. */
  readonly lastCommits = new Map<string, SandboxRequest>();
  #commits = 0;

  constructor(refusedFields: Record<string, 400 | 422> = {}) {
    this.#refusedFields = new Map(Object.entries(refusedFields));
  }

  /** Token, route, order, body; then the commit. */
  serve(req: IncomingMessage, record: SandboxRequest, body: Buffer | undefined, parsed: unknown): Answer {
    if (!record.authorized) {
      const missing = req.headers.authorization === undefined;
      return fail(401, missing ? "Authentication credentials were not provided." : "Invalid token.");
    }
    if (record.path === SANDBOX_ORDERS_PATH && record.method === "POST") return this.#createOrders(parsed);
    if (record.path.split("?", 1)[0] === LIST_PATH && record.method === "GET")
      return this.#listOrders(record.path);
    const publicId = record.publicId;
    // Only the slashed form is served: a client that forgets the slash gets Spot's 404.
    const slashed = ORDER_PATH.exec(record.path.split("?", 1)[0] ?? "")?.[2] === "/";
    if (!slashed || publicId === undefined) return fail(404, "Not found");
    if (record.method !== "GET" && record.method !== "POST") {
      return { ...fail(405, `Method "${record.method}" not allowed.`), headers: { allow: "GET, POST" } };
    }
    if (!this.store.has(publicId)) return fail(404, "Order not found");
    if (record.method === "GET") return { status: 200, order: this.store.render(publicId) };
    if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
      return fail(400, "Content-Type: must be application/json");
    }
    if (body === undefined) return fail(400, `body: larger than ${MAX_BODY_BYTES} bytes`);
    if (parsed === NOT_JSON) return fail(400, "JSON parse error");
    const check = checkUpdateBody(parsed);
    if (!check.ok) return { status: 400, details: check.details };
    const refused = Object.keys(check.metadata).find((key) => this.#refusedFields.has(key));
    if (refused !== undefined) {
      return fail(this.#refusedFields.get(refused) ?? 400, `metadata.${refused}: This field is not allowed.`);
    }
    const order = this.store.replaceMetadata(publicId, check.metadata);
    record.committedAt = Date.now();
    record.commitSeq = ++this.#commits;
    this.lastCommits.set(publicId, record);
    return { status: 200, order };
  }

  /** Not Spot's: lets a local run create orders, as the business would in Spot before a replay. */
  #createOrders(parsed: unknown): Answer {
    const ids = isObject(parsed) ? parsed.publicIds : undefined;
    if (
      !Array.isArray(ids) ||
      !ids.every((id) => typeof id === "string" && publicIdSchema.safeParse(id).success)
    ) {
      return fail(400, "publicIds: must be a list of order ids");
    }
    this.store.add(ids);
    return { status: 201, created: ids };
  }

  /** `GET /api/v2/orders/?limit=N`: Spot's paged list (limit 1–100, default 10). */
  #listOrders(path: string): Answer {
    const limit = Number(new URL(path, "http://sandbox").searchParams.get("limit") ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(400, "limit: must be 1 to 100");
    return {
      status: 200,
      list: { count: this.store.size, next: null, previous: null, results: this.store.list(limit) },
    };
  }
}

const NOT_JSON = Symbol("not JSON");

export function parseJson(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return NOT_JSON;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return NOT_JSON;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
