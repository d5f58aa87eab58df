/**
 * A fake of Spot's API (docs/spot-api.md) on 127.0.0.1, for `npm start`, tests and benchmarks:
 * the token check, seeded orders, `GET`/`POST /api/v2/orders/{id}/`, Spot's error envelope, and
 * injectable faults (statuses with Retry-After, HTML pages, a gateway's JSON, broken, empty and
 * drifted 200s, writes that land after the client gave up or whose answer is lost, hangs, resets,
 * latency, a rate limit). Every request is recorded, with when it changed an order.
 *
 * A path without the trailing slash gets 404 `not_found` (Django without APPEND_SLASH would do the
 * same; a 301 would turn the POST into a GET in most clients), so a client that forgets it is caught.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { publicIdSchema } from "../../lambda/contract.ts";
import type { OrderFull } from "../../lambda/spot/order-schema.ts";
import { describeFault, FaultScheduler } from "./fault-plan.ts";
import { OrderStore, seededOrderIds } from "./order-store.ts";
import {
  checkUpdateBody,
  driftedOrder,
  sendEmpty,
  sendError,
  sendGarbage,
  sendGatewayError,
  sendHtml,
  sendJson,
} from "./replies.ts";
import { PendingTimers } from "./timers.ts";
import type { Fault, FaultPlan, SandboxOptions, SandboxRequest, SpotSandbox } from "./types.ts";

export type { Fault, FaultPlan, FaultStatus, SandboxOptions, SandboxRequest, SpotSandbox } from "./types.ts";

/**
 * The sandbox's own endpoint (not Spot's): `POST {"publicIds": [...]}` with the token creates orders,
 * so a local run can show "fix the cause, then replay".
 */
export const SANDBOX_ORDERS_PATH = "/_sandbox/orders/";
/** The sandbox's default token: made up, and obviously so. */
export const SANDBOX_TOKEN = "sandbox-token-not-a-secret";
export const DEFAULT_SANDBOX_SEED = 20261127;
/** Bodies above this are refused with 400 (Spot's own limit is not published; ours are ≤ 16 KiB). */
const MAX_BODY_BYTES = 1024 * 1024;
/** Spot's list of orders: the client reads it to tell a wrong base URL from orders that do not exist. */
const LIST_PATH = "/api/v2/orders/";
/** `/api/v2/orders/{id}` with or without the trailing slash; only the slashed form is served. */
const ORDER_PATH = /^\/api\/v2\/orders\/([^/]+)(\/?)$/;

/**
 * Starts a sandbox on 127.0.0.1.
 * @throws {RangeError} when the fault plan is out of range; the listen error when the port is taken.
 */
export async function startSpotSandbox(options: SandboxOptions = {}): Promise<SpotSandbox> {
  const token = options.token ?? SANDBOX_TOKEN;
  const expectedAuthorization = `Token ${token}`;
  const store = new OrderStore();
  store.add(options.orders ?? []);
  store.add(seededOrderIds(options.seedCount ?? 0));
  const faults = new FaultScheduler(options.seed ?? DEFAULT_SANDBOX_SEED, options.faults);
  let requests: SandboxRequest[] = [];
  const timers = new PendingTimers();
  // Per order, the request whose update it holds: outlives clearRequests(), which long runs call.
  const lastCommits = new Map<string, SandboxRequest>();
  let commits = 0;

  const server = createServer((req, res) => {
    const receivedAt = Date.now();
    const path = req.url ?? "/";
    const match = ORDER_PATH.exec(path.split("?", 1)[0] ?? "");
    const publicId = match?.[1] === undefined ? undefined : safeDecode(match[1]);
    const record: SandboxRequest = {
      method: req.method ?? "GET",
      path,
      ...(publicId === undefined ? {} : { publicId }),
      authorized: req.headers.authorization === expectedAuthorization,
      receivedAt,
    };
    requests.push(record);
    const decision = faults.decide(publicId, receivedAt);

    readBody(req, (body) => {
      const parsed = parseJson(body);
      if (record.method === "POST" && isObject(parsed) && Object.hasOwn(parsed, "metadata")) {
        record.metadata = parsed.metadata;
      }
      const fault = decision.fault;
      if (fault !== undefined) record.fault = decision.rateLimited ? "rate_limit" : describeFault(fault);
      /** Spot doing its work: the checks, then the commit when they pass. */
      const spot = () => serve(req, record, match, body, parsed);
      if (fault?.kind === "hang") return;
      if (fault?.kind === "reset") return destroy(req, record);
      if (fault?.kind === "late-commit") {
        // Counted from arrival, like a queue behind a slow backend; latencyMs does not add to it.
        const delayMs = Math.max(0, receivedAt + fault.afterMs - Date.now());
        const commit = () => {
          const answer = spot();
          // The write lands either way; only a client still waiting gets to hear about it.
          if (!clientLeft(res)) answered(record, res, () => writeAnswer(res, answer));
        };
        return timers.schedule(delayMs, commit, true);
      }
      const answer = () => {
        if (fault === undefined) return answered(record, res, () => writeAnswer(res, spot()));
        switch (fault.kind) {
          case "drift":
            return answered(record, res, () => writeAnswer(res, spot(), { drift: true }));
          case "commit-then-fail":
            spot();
            return answered(record, res, () => sendError(res, fault.status));
          case "commit-then-reset":
            spot();
            return destroy(req, record);
          default:
            return answered(record, res, () => injectFault(res, fault));
        }
      };
      if (decision.latencyMs <= 0) return answer();
      timers.schedule(decision.latencyMs, answer);
    });
  });

  /** Not Spot's: lets a local run create orders, as the business would in Spot before a replay. */
  function createOrders(parsed: unknown): Answer {
    const ids = isObject(parsed) ? parsed.publicIds : undefined;
    if (
      !Array.isArray(ids) ||
      !ids.every((id) => typeof id === "string" && publicIdSchema.safeParse(id).success)
    ) {
      return fail(400, "publicIds: must be a list of order ids");
    }
    store.add(ids);
    return { status: 201, created: ids };
  }

  /** `GET /api/v2/orders/?limit=N`: Spot's paged list (limit 1–100, default 10). */
  function listOrders(path: string): Answer {
    const limit = Number(new URL(path, "http://sandbox").searchParams.get("limit") ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(400, "limit: must be 1 to 100");
    return {
      status: 200,
      list: { count: store.size, next: null, previous: null, results: store.list(limit) },
    };
  }

  /** Spot's own behaviour: token, route, order, body; in the order Spot's framework checks them. */
  function serve(
    req: IncomingMessage,
    record: SandboxRequest,
    match: RegExpExecArray | null,
    body: Buffer | undefined,
    parsed: unknown,
  ): Answer {
    if (!record.authorized) {
      const missing = req.headers.authorization === undefined;
      return fail(401, missing ? "Authentication credentials were not provided." : "Invalid token.");
    }
    if (record.path === SANDBOX_ORDERS_PATH && record.method === "POST") return createOrders(parsed);
    if (record.path.split("?", 1)[0] === LIST_PATH && record.method === "GET") return listOrders(record.path);
    const publicId = record.publicId;
    if (match === null || match[2] !== "/" || publicId === undefined) return fail(404, "Not found");
    if (record.method !== "GET" && record.method !== "POST") {
      return { ...fail(405, `Method "${record.method}" not allowed.`), headers: { allow: "GET, POST" } };
    }
    if (!store.has(publicId)) return fail(404, "Order not found");
    if (record.method === "GET") return { status: 200, order: store.render(publicId) };
    if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
      return fail(400, "Content-Type: must be application/json");
    }
    if (body === undefined) return fail(400, `body: larger than ${MAX_BODY_BYTES} bytes`);
    if (parsed === NOT_JSON) return fail(400, "JSON parse error");
    const check = checkUpdateBody(parsed);
    if (!check.ok) return { status: 400, details: check.details };
    const order = store.replaceMetadata(publicId, check.metadata);
    record.committedAt = Date.now();
    record.commitSeq = ++commits;
    lastCommits.set(publicId, record);
    return { status: 200, order };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get requests() {
      return requests;
    },
    setFaults: (plan: FaultPlan) => faults.setPlan(plan),
    addOrders: (publicIds: string[]) => store.add(publicIds),
    metadataOf: (publicId: string) => {
      const metadata = store.metadataOf(publicId);
      return metadata == null ? metadata : structuredClone(metadata);
    },
    lastCommitOf: (publicId: string) => lastCommits.get(publicId),
    settled: () => timers.settled(),
    clearRequests: () => {
      requests = [];
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        // Pending late commits are dropped too: nothing may change the store once close() is called.
        timers.cancelAll();
        server.close(() => resolve());
        // Idle keep-alive sockets and hung, delayed or late requests would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** An answer of Spot's: an order, or the error envelope with these details. */
type Answer =
  | { status: 200; order: OrderFull | undefined }
  | { status: 200; list: { count: number; next: null; previous: null; results: OrderFull[] } }
  | { status: 201; created: string[] }
  | { status: number; details: string[]; headers?: Record<string, string> };

function fail(status: number, detail: string): Answer {
  return { status, details: [detail] };
}

/** Writes Spot's answer; with `drift`, an order is rendered the way the drift fault describes. */
function writeAnswer(res: ServerResponse, answer: Answer, { drift = false } = {}): void {
  if ("order" in answer) {
    const order = drift && answer.order !== undefined ? driftedOrder(answer.order) : answer.order;
    sendJson(res, 200, JSON.stringify(order));
  } else if ("list" in answer) sendJson(res, 200, JSON.stringify(answer.list));
  else if ("created" in answer) sendJson(res, 201, JSON.stringify({ created: answer.created }));
  else sendError(res, answer.status, answer.details, answer.headers);
}

/** Writes an answer and records what was answered and when. */
function answered(record: SandboxRequest, res: ServerResponse, write: () => void): void {
  write();
  record.status = res.statusCode;
  record.answeredAt = Date.now();
}

/** Ends the exchange without an answer, as a dropped connection would. */
function destroy(req: IncomingMessage, record: SandboxRequest): void {
  record.answeredAt = Date.now();
  req.socket.destroy();
}

/** Whether the client is gone (it gave up, or the socket was destroyed), so nobody would read an answer. */
function clientLeft(res: ServerResponse): boolean {
  return res.destroyed || res.socket === null || res.socket.destroyed;
}

/** The faults that answer in Spot's place, without Spot doing anything. */
type AnsweringFault = Extract<Fault, { kind: "status" | "html" | "gateway" | "garbage" | "empty" }>;

function injectFault(res: ServerResponse, fault: AnsweringFault): void {
  if (fault.kind === "html") sendHtml(res, fault.status);
  else if (fault.kind === "gateway") sendGatewayError(res, fault.status);
  else if (fault.kind === "garbage") sendGarbage(res);
  else if (fault.kind === "empty") sendEmpty(res);
  else {
    const headers: Record<string, string> =
      fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
    sendError(res, fault.status, undefined, headers);
  }
}

/** Reads the whole body; `undefined` when it exceeds MAX_BODY_BYTES (the rest is drained). */
function readBody(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on("end", () => done(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
  // An aborted request gets no answer: there is nobody left to read it.
  req.on("error", () => {});
}

const NOT_JSON = Symbol("not JSON");

function parseJson(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return NOT_JSON;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return NOT_JSON;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
