/**
 * A scripted fake of Spot's API, for tests that need a precise interleaving: the test decides, per
 * POST, when the write is committed to the order's stored metadata and when, and what, Spot answers
 * (the order, Spot's error envelope with or without `Retry-After`, a 200 that is no order…). The
 * sandbox (lib/local/sandbox) draws its faults from a plan; here a script awaits what it likes (another
 * POST, a commit, a deadline) before it answers.
 *
 * What it serves besides the scripted POSTs: the token check (401 in Spot's envelope), `GET` of one
 * order, and Spot's list of orders (`GET /api/v2/orders/`), which answers 200 unless told otherwise
 * (`listStatus`): the handler reads it after a run of 404s to tell a wrong base URL from missing orders.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type OrderFull, seedOrder } from "../../lib/lambda/spot/order-schema.ts";
import { sendError, sendJson } from "../../lib/local/sandbox/replies.ts";
import { ORDER_PATH } from "../../lib/local/sandbox/spot-api.ts";

/** Made up, and obviously so. */
export const SCRIPTED_SPOT_TOKEN = "scripted-spot-token-not-a-secret";

const LIST_PATH = "/api/v2/orders/";

/** One POST to an order, held until its script answers it. */
export interface ScriptedPost {
  /** Its place among this Spot's POSTs: 1, 2, … */
  readonly seq: number;
  readonly publicId: string;
  /** The body's `metadata`, as sent. */
  readonly metadata: Record<string, unknown>;
  /** Whether the order exists (an unknown order's POST can be answered, never committed). */
  readonly known: boolean;
  readonly receivedAt: number;
  /** When its write was committed to the order; undefined while it was not. */
  readonly committedAt: number | undefined;
  /** When it was answered (or found its client gone); undefined while it was not. */
  readonly answeredAt: number | undefined;
  /** Writes the metadata to the order, as Spot's unconditional replace does. Once; never for an unknown order. */
  commit(): void;
  /** Commits if not yet, then answers 200 with the order as this write left it. */
  ok(): void;
  /** Answers Spot's error envelope; `retryAfter` is the header's raw value. Commits nothing. */
  fail(status: number, options?: { retryAfter?: string; details?: string[] }): void;
  /** Answers with a writer of replies.ts (a 200 that is no order, a proxy's page…). Commits nothing. */
  send(write: (res: ServerResponse) => void): void;
}

/** Decides one POST: when to commit it, when and what to answer. */
export type PostScript = (post: ScriptedPost, spot: ScriptedSpot) => void | Promise<void>;

export interface ScriptedSpotOptions {
  /** The orders that exist (metadata null). */
  orders: string[];
  /** The script of every POST. @default {@link serve} */
  onPost?: PostScript;
  /** What Spot's list of orders answers: 200 with a page of orders, or this status in its envelope. @default 200 */
  listStatus?: number;
}

export interface ScriptedSpot {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Every POST, in arrival order. */
  readonly posts: readonly ScriptedPost[];
  /** The list requests, by when they came. */
  readonly listReads: readonly number[];
  /** What the order holds: null when never written, undefined when there is no such order. */
  metadataOf(publicId: string): Record<string, unknown> | null | undefined;
  /** Resolves once every script has ended (each POST committed or not, and answered). */
  settled(): Promise<void>;
  /**
   * Errors of scripts: thrown, or ended without answering (their POST was then answered 500, if it
   * was not yet). A test should expect none.
   */
  readonly scriptErrors: readonly unknown[];
  close(): Promise<void>;
}

/** Spot doing its work at once: the order's 404 when unknown, else commit and 200. */
export function serve(post: ScriptedPost): void {
  if (post.known) post.ok();
  else post.fail(404, { details: ["Order not found"] });
}

/** Resolves true once `check()` holds, false once `capMs` passed without it: a script's bounded wait. */
export async function until(check: () => boolean, capMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + capMs;
  while (!check()) {
    if (Date.now() >= giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

interface StoredOrder {
  metadata: Record<string, unknown> | null;
  updated: string;
}

export async function startScriptedSpot(options: ScriptedSpotOptions): Promise<ScriptedSpot> {
  const orders = new Map<string, StoredOrder>(
    options.orders.map((id) => [id, { metadata: null, updated: SEEDED_AT }]),
  );
  const onPost = options.onPost ?? serve;
  const posts: ScriptedPost[] = [];
  const listReads: number[] = [];
  const scripts = new Set<Promise<void>>();
  const scriptErrors: unknown[] = [];
  let closed = false;

  const render = (publicId: string): OrderFull | undefined => {
    const stored = orders.get(publicId);
    if (stored === undefined) return undefined;
    return seedOrder(publicId, {
      metadata: stored.metadata as OrderFull["metadata"],
      created: SEEDED_AT,
      updated: stored.updated,
    });
  };

  let url = "";
  const spot: ScriptedSpot = {
    get url() {
      return url;
    },
    token: SCRIPTED_SPOT_TOKEN,
    posts,
    listReads,
    metadataOf: (publicId) => {
      const stored = orders.get(publicId);
      return stored === undefined ? undefined : structuredClone(stored.metadata);
    },
    settled: async () => {
      while (scripts.size > 0) await Promise.allSettled([...scripts]);
    },
    scriptErrors,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = createServer((req, res) => {
    readBody(req, (body) => {
      const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
      if (req.headers.authorization !== `Token ${SCRIPTED_SPOT_TOKEN}`) return sendError(res, 401);
      if (req.method === "GET" && path === LIST_PATH) {
        listReads.push(Date.now());
        return answerList(
          res,
          options.listStatus ?? 200,
          [...orders.keys()].flatMap((id) => render(id) ?? []),
        );
      }
      const publicId = decodeId(ORDER_PATH.exec(path));
      if (publicId === undefined) return sendError(res, 404, ["Not found"]);
      if (req.method === "GET") {
        const order = render(publicId);
        return order === undefined
          ? sendError(res, 404, ["Order not found"])
          : sendJson(res, 200, JSON.stringify(order));
      }
      if (req.method !== "POST") return sendError(res, 405, [`Method "${req.method}" not allowed.`]);
      const metadata = metadataOf(body);
      if (metadata === undefined) return sendError(res, 400, ["metadata: Must be a JSON object"]);
      const post = newPost({
        seq: posts.length + 1,
        publicId,
        metadata,
        res,
        orders,
        render,
        isClosed: () => closed,
      });
      posts.push(post);
      const script = Promise.resolve()
        .then(() => onPost(post, spot))
        .then(() => {
          if (post.answeredAt === undefined) throw new Error(`the script left POST ${post.seq} unanswered`);
        })
        .catch((error: unknown) => {
          scriptErrors.push(error);
          if (post.answeredAt === undefined) post.fail(500, { details: ["the test's script failed"] });
        })
        .finally(() => scripts.delete(script));
      scripts.add(script);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return spot;
}

const SEEDED_AT = "2026-11-01T00:00:00.000Z";

function newPost(parts: {
  seq: number;
  publicId: string;
  metadata: Record<string, unknown>;
  res: ServerResponse;
  orders: Map<string, StoredOrder>;
  render: (publicId: string) => OrderFull | undefined;
  isClosed: () => boolean;
}): ScriptedPost {
  const { publicId, metadata, res, orders, render, isClosed } = parts;
  let committedAt: number | undefined;
  let answeredAt: number | undefined;
  /** The order as this write left it: what Spot's 200 to it shows, whatever landed since. */
  let committedOrder: OrderFull | undefined;
  const answer = (write: () => void) => {
    if (answeredAt !== undefined) throw new Error(`POST ${parts.seq} answered twice`);
    answeredAt = Date.now();
    // A client that gave up left a destroyed socket: the answer goes nowhere, as at Spot.
    if (!res.destroyed && !isClosed()) write();
  };
  const post: ScriptedPost = {
    seq: parts.seq,
    publicId,
    metadata,
    known: orders.has(publicId),
    receivedAt: Date.now(),
    get committedAt() {
      return committedAt;
    },
    get answeredAt() {
      return answeredAt;
    },
    commit() {
      const stored = orders.get(publicId);
      if (committedAt !== undefined || stored === undefined || isClosed()) return;
      committedAt = Date.now();
      stored.metadata = structuredClone(metadata);
      stored.updated = new Date(committedAt).toISOString();
      committedOrder = render(publicId);
    },
    ok() {
      post.commit();
      const order = committedOrder;
      if (order === undefined) return post.fail(404, { details: ["Order not found"] });
      answer(() => sendJson(res, 200, JSON.stringify(order)));
    },
    fail(status, options = {}) {
      const headers: Record<string, string> =
        options.retryAfter === undefined ? {} : { "retry-after": options.retryAfter };
      answer(() => sendError(res, status, options.details, headers));
    },
    send(write) {
      answer(() => write(res));
    },
  };
  return post;
}

function answerList(res: ServerResponse, status: number, results: OrderFull[]): void {
  if (status !== 200) {
    sendError(res, status);
    return;
  }
  const page = { count: results.length, next: null, previous: null, results: results.slice(0, 1) };
  sendJson(res, 200, JSON.stringify(page));
}

function decodeId(match: RegExpExecArray | null): string | undefined {
  if (match === null || match[2] !== "/" || match[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function metadataOf(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { metadata?: unknown };
    const metadata = parsed?.metadata;
    return metadata !== null && typeof metadata === "object" && !Array.isArray(metadata)
      ? (metadata as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => done(Buffer.concat(chunks)));
}
