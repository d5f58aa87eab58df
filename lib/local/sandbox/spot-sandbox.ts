/**
 * A fake of Spot's API (docs/spot-api.md) on 127.0.0.1, for `npm start`, tests and benchmarks:
 * the token check, seeded orders, `GET`/`POST /api/v2/orders/{id}/`, Spot's error envelope, and
 * injectable faults (statuses with Retry-After, HTML pages, a gateway's JSON, redirects, broken,
 * empty, drifted and slow 200s, writes that land after the client gave up or whose answer is lost,
 * hangs, resets, latency, a rate limit, an outage, a port that refuses connections for a while).
 * Every request is recorded, with when it changed an order.
 *
 * A path without the trailing slash gets 404 `not_found` (Django without APPEND_SLASH would do the
 * same; a 301 would turn the POST into a GET in most clients), so a client that forgets it is caught.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeFault, FaultScheduler } from "./fault-plan.ts";
import { seededOrderIds } from "./order-store.ts";
import { listenOn, Reachability } from "./reachability.ts";
import {
  driftedOrder,
  sendEmpty,
  sendError,
  sendGarbage,
  sendGatewayError,
  sendHtml,
  sendJson,
  sendRedirect,
} from "./replies.ts";
import { type Answer, isObject, MAX_BODY_BYTES, ORDER_PATH, parseJson, SpotApi } from "./spot-api.ts";
import { PendingTimers } from "./timers.ts";
import type { Fault, FaultPlan, SandboxOptions, SandboxRequest, SpotSandbox } from "./types.ts";

export { SANDBOX_ORDERS_PATH } from "./spot-api.ts";
export type { Fault, FaultPlan, SandboxOptions, SpotSandbox } from "./types.ts";

/** The sandbox's default token: made up, and obviously so. */
const SANDBOX_TOKEN = "sandbox-token-not-a-secret";
const DEFAULT_SANDBOX_SEED = 20261127;
/**
 * Starts a sandbox on 127.0.0.1.
 * @throws {RangeError} when the fault plan is out of range; the listen error when the port is taken.
 */
export async function startSpotSandbox(options: SandboxOptions = {}): Promise<SpotSandbox> {
  const token = options.token ?? SANDBOX_TOKEN;
  const spot = new SpotApi(options.refusedFields);
  spot.store.add(options.orders ?? []);
  spot.store.add(seededOrderIds(options.seedCount ?? 0));
  const faults = new FaultScheduler(options.seed ?? DEFAULT_SANDBOX_SEED, options.faults);
  const timers = new PendingTimers();
  let requests: SandboxRequest[] = [];
  const server = createServer((req, res) => {
    const record = recordOf(req, token);
    requests.push(record);
    const decision = faults.decide(record.publicId, record.receivedAt, record.method);
    readBody(req, (body) => respond({ req, res, record, body, decision, spot, timers }));
  });
  await listenOn(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const reachability = new Reachability(server, port);
  reachability.plan(options.faults?.unreachable);

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get requests() {
      return requests;
    },
    setFaults: (plan: FaultPlan) => {
      faults.setPlan(plan);
      reachability.plan(plan.unreachable);
    },
    addOrders: (publicIds: string[]) => spot.store.add(publicIds),
    metadataOf: (publicId: string) => {
      const metadata = spot.store.metadataOf(publicId);
      return metadata == null ? metadata : structuredClone(metadata);
    },
    lastCommitOf: (publicId: string) => spot.lastCommits.get(publicId),
    settled: () => timers.settled(),
    clearRequests: () => {
      requests = [];
    },
    close: () => {
      // Pending late commits are dropped too: nothing may change the store once close() is called.
      timers.cancelAll();
      closing ??= reachability.shutDown().then(
        () =>
          new Promise<void>((resolve) => {
            // Called even when an unreachable window left the server closed already.
            server.close(() => resolve());
            // Idle keep-alive sockets and hung, delayed or late requests would otherwise hold close() open.
            server.closeAllConnections();
          }),
      );
      return closing;
    },
  };
}

/** What a request asked, as the sandbox records it. */
function recordOf(req: IncomingMessage, token: string): SandboxRequest {
  const path = req.url ?? "/";
  const publicId = orderIdOf(path);
  return {
    method: req.method ?? "GET",
    path,
    ...(publicId === undefined ? {} : { publicId }),
    authorized: req.headers.authorization === `Token ${token}`,
    receivedAt: Date.now(),
  };
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: SandboxRequest;
  body: Buffer | undefined;
  decision: ReturnType<FaultScheduler["decide"]>;
  spot: SpotApi;
  timers: PendingTimers;
}

/** Answers a request as Spot would, or as the fault the plan drew for it. */
function respond({ req, res, record, body, decision, spot, timers }: Exchange): void {
  const parsed = parseJson(body);
  if (record.method === "POST" && isObject(parsed) && Object.hasOwn(parsed, "metadata")) {
    record.metadata = parsed.metadata;
  }
  const fault = decision.fault;
  if (fault !== undefined) record.fault = faultLabel(decision, fault);
  /** Spot doing its work: the checks, then the commit when they pass. */
  const work = () => spot.serve(req, record, body, parsed);
  if (fault?.kind === "hang") return;
  if (fault?.kind === "reset") {
    destroy(req, record);
    return;
  }
  if (fault?.kind === "late-commit" || fault?.kind === "slow") {
    // Counted from arrival, like a queue behind a slow backend; latencyMs does not add to it.
    const delayMs = Math.max(0, record.receivedAt + fault.afterMs - Date.now());
    const commit = () => {
      const answer = work();
      // The write lands either way; only a client still waiting gets to hear about it.
      if (!clientLeft(res)) answered(record, res, () => writeAnswer(res, answer));
    };
    timers.schedule(delayMs, commit, true);
    return;
  }
  const answer = () => {
    if (fault === undefined) return answered(record, res, () => writeAnswer(res, work()));
    switch (fault.kind) {
      case "drift":
        return answered(record, res, () => writeAnswer(res, work(), { drift: true }));
      case "commit-then-fail":
        work();
        return answered(record, res, () => sendError(res, fault.status));
      case "commit-then-reset":
        work();
        return destroy(req, record);
      case "commit-then-cut":
        return answered(record, res, () => cutMidBody(req, res, work()));
      default:
        return answered(record, res, () => injectFault(res, fault, record.path));
    }
  };
  if (decision.latencyMs <= 0) answer();
  else timers.schedule(decision.latencyMs, answer);
}

/** The order a path names (`/api/v2/orders/{id}/`, with or without the slash). */
function orderIdOf(path: string): string | undefined {
  const segment = ORDER_PATH.exec(path.split("?", 1)[0] ?? "")?.[1];
  return segment === undefined ? undefined : safeDecode(segment);
}

/** The request log's name of the fault: the rate limit's and the outage's are told apart. */
function faultLabel(decision: Exchange["decision"], fault: Fault): string {
  if (decision.rateLimited) return "rate_limit";
  if (decision.outage && fault.kind === "status") return `outage:${fault.status}`;
  return describeFault(fault);
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

/** Sends an order's 200 with half its body, then drops the connection; any other answer whole. */
function cutMidBody(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (!("order" in answer)) {
    writeAnswer(res, answer);
    return;
  }
  const body = JSON.stringify(answer.order);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.write(body.slice(0, Math.floor(body.length / 2)), () => req.socket.destroy());
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
type AnsweringFault = Extract<
  Fault,
  { kind: "status" | "html" | "gateway" | "garbage" | "empty" | "redirect" }
>;

function injectFault(res: ServerResponse, fault: AnsweringFault, path: string): void {
  if (fault.kind === "html") sendHtml(res, fault.status);
  else if (fault.kind === "redirect") sendRedirect(res, fault.status, path);
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

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
