/**
 * The public shapes of the Spot sandbox: its options, its handle, its request log and its fault plan.
 * Kept apart from the server so that tests and benchmarks can import them without the server.
 */

/** Options of {@link startSpotSandbox}. */
export interface SandboxOptions {
  /** The token the sandbox accepts. @default SANDBOX_TOKEN, an obviously fake one */
  token?: string;
  /** publicIds seeded as existing orders (metadata null). */
  orders?: string[];
  /** Also seeds O0000001 … O000000N (7 digits, zero-padded). @default 0 */
  seedCount?: number;
  /** @default 0 (a free port) */
  port?: number;
  /** The fault plan to start with. @default {} (healthy) */
  faults?: FaultPlan;
  /** Seed of the fault and latency dice, so a run is reproducible. @default 20261127 */
  seed?: number;
}

/** A running sandbox. */
export interface SpotSandbox {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Every request, in arrival order (entries are completed in place when answered). */
  readonly requests: readonly SandboxRequest[];
  /** Replaces the fault plan; `{}` is healthy. Resets the rate-limit window, keeps the dice. */
  setFaults(plan: FaultPlan): void;
  /** Adds orders (metadata null); existing ones are left as they are. */
  addOrders(publicIds: string[]): void;
  /** A copy of the stored metadata: null when never set, undefined when there is no such order. */
  metadataOf(publicId: string): Record<string, unknown> | null | undefined;
  clearRequests(): void;
  /** Stops listening and ends every connection, hung requests included. Idempotent. */
  close(): Promise<void>;
}

/** One request as the sandbox saw it. */
export interface SandboxRequest {
  method: string;
  /** The raw request target, query string included (as sent, percent-encoding kept). */
  path: string;
  /** The decoded order id when the path is an order's. */
  publicId?: string;
  /** Whether `Authorization: Token <token>` was right (checked even when a fault answered). */
  authorized: boolean;
  /** The body's `metadata` for POSTs, as received (absent when the body had none or was not JSON). */
  metadata?: unknown;
  /** What was answered; undefined for a hang or a reset. */
  status?: number;
  /** Which fault was injected, if any: `status:503`, `html:502`, `garbage`, `hang`, `reset`, `rate_limit`. */
  fault?: string;
  /** Date.now() on arrival. */
  receivedAt: number;
  /** Date.now() when the answer was written (or the socket destroyed). */
  answeredAt?: number;
}

/** How the sandbox misbehaves. Precedence per request: script, then rate limit, then random. */
export interface FaultPlan {
  /** Added before answering (not before a reset or a hang). */
  latencyMs?: number | { min: number; max: number };
  /** Random faults, each with a share of requests (0..1), drawn per request with the seeded dice. */
  random?: Array<{ fault: Fault; rate: number }>;
  /** Scripted faults: the next requests (optionally only those for one publicId) get these, in order, then normal service. */
  script?: Array<{ fault: Fault; publicId?: string }>;
  /** A rate limit: past perSecond requests in a 1-second window, answer 429 (with Retry-After if retryAfterSeconds set). */
  rateLimit?: { perSecond: number; retryAfterSeconds?: number };
}

export type FaultStatus = 400 | 401 | 403 | 404 | 408 | 422 | 429 | 500 | 502 | 503 | 504;

export type Fault =
  /** Spot's JSON error envelope; retryAfter is the raw header value (seconds or HTTP date). */
  | { kind: "status"; status: FaultStatus; retryAfter?: string }
  /** A proxy's HTML error page (text/html). */
  | { kind: "html"; status: number }
  /** 200 with a body that is not an order (a changed or broken response). */
  | { kind: "garbage" }
  /** Never answers (until the client gives up or close()). */
  | { kind: "hang" }
  /** Destroys the socket without answering. */
  | { kind: "reset" };
