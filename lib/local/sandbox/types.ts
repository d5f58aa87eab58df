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
  /**
   * Metadata fields Spot's own validation refuses, with the status it answers (`bad_request` in its
   * envelope): a POST whose metadata has one of these top-level keys is refused after the token,
   * route and order checks, every time, and never committed (a fault that commits runs the same
   * checks). Not a fault: `setFaults` leaves it alone. @default {} (none)
   */
  refusedFields?: Record<string, 400 | 422>;
}

/** A running sandbox. */
export interface SpotSandbox {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Every request, in arrival order (entries are completed in place when answered). */
  readonly requests: readonly SandboxRequest[];
  /**
   * Replaces the fault plan; `{}` is healthy. Resets the rate-limit window, keeps the dice; ends an
   * `unreachable` window in progress (the sandbox listens again on its port) and restarts the clock
   * of `outage` and `unreachable`.
   */
  setFaults(plan: FaultPlan): void;
  /** Adds orders (metadata null); existing ones are left as they are. */
  addOrders(publicIds: string[]): void;
  /** A copy of the stored metadata: null when never set, undefined when there is no such order. */
  metadataOf(publicId: string): Record<string, unknown> | null | undefined;
  /**
   * The request whose update the order holds now: the last one to change it, in the order the
   * changes happened (a late commit counts when it lands, not when it arrived). Kept through
   * clearRequests(); undefined when nothing ever changed the order.
   */
  lastCommitOf(publicId: string): SandboxRequest | undefined;
  /**
   * Resolves once no late commit is pending, so that what the store holds is final until the next
   * request. Resolves at once when none is pending, and on close() (which cancels them).
   */
  settled(): Promise<void>;
  /** Empties the request log (lastCommitOf is kept). */
  clearRequests(): void;
  /**
   * Stops listening, ends every connection (hung requests included) and cancels pending late commits
   * and an `unreachable` window. Idempotent.
   */
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
  /** What was answered; undefined for a hang, a reset, or a late commit whose client had left. */
  status?: number;
  /**
   * Which fault was injected, if any: `status:503`, `html:502`, `gateway:403`, `redirect:302`,
   * `garbage`, `empty`, `drift`, `slow`, `late-commit`, `commit-then-fail:502`, `commit-then-reset`,
   * `hang`, `reset`, `rate_limit`, `outage:500`.
   */
  fault?: string;
  /** Date.now() on arrival. */
  receivedAt: number;
  /** Date.now() when the answer was written (or the socket destroyed); unset while nothing was. */
  answeredAt?: number;
  /**
   * Date.now() when this request changed the order's metadata, whether a fault was injected or not
   * (a late commit sets it when it lands); unset when it changed nothing.
   */
  committedAt?: number;
  /**
   * The commit's place among all of this sandbox's commits (1, 2, …): orders commits exactly where
   * committedAt (milliseconds) ties. The order holds the metadata of its commit with the highest.
   */
  commitSeq?: number;
}

/** How the sandbox misbehaves. Precedence per request: script, then rate limit, then random. */
export interface FaultPlan {
  /** Added before answering (not before a reset, a hang or a late commit, which has its own delay). */
  latencyMs?: number | { min: number; max: number };
  /** Random faults, each with a share of requests (0..1), drawn per request with the seeded dice. */
  random?: Array<{ fault: Fault; rate: number }>;
  /** Scripted faults: the next requests (optionally only those for one publicId) get these, in order, then normal service. */
  script?: Array<{ fault: Fault; publicId?: string }>;
  /** A rate limit: past perSecond requests in a second, answer 429 (with Retry-After if retryAfterSeconds set). */
  rateLimit?: RateLimit;
  /**
   * Spot down for a while: from `afterMs` after the plan is set, for `forMs`, every POST is answered
   * `status` in Spot's envelope and commits nothing (GETs are served as the rest of the plan says).
   */
  outage?: { afterMs: number; forMs: number; status: 500 | 502 | 503 | 504 };
  /**
   * Nothing listening for a while: from `afterMs` after the plan is set, for `forMs`, the sandbox
   * stops listening on its port (connections are refused) and drops the open ones (their answers are
   * lost; pending late commits and delayed answers still write to the store). Then it listens again on
   * the same port. A new plan ends the window at once.
   */
  unreachable?: { afterMs: number; forMs: number };
}

/** Spot's limit on requests per second, as the sandbox enforces it. */
export interface RateLimit {
  perSecond: number;
  retryAfterSeconds?: number;
  /**
   * How the second is counted. `fixed`: a window opens at the first request after the last one
   * closed, and every request in it counts, refused or not. `sliding`: a request is accepted when
   * fewer than `perSecond` were accepted in the 1000 ms before it (refused ones do not count), so
   * Spot never accepts more than `perSecond` in any 1000 ms, wherever the second starts.
   * @default "fixed"
   */
  window?: "fixed" | "sliding";
  /**
   * Later limits, each from `afterMs` after the first request under this plan, in ascending order:
   * Spot's limit changing mid-run. The window's count (or the sliding window's accepted requests)
   * carries over a change.
   */
  changes?: Array<{ afterMs: number; perSecond: number }>;
}

type FaultStatus = 400 | 401 | 403 | 404 | 408 | 422 | 429 | 500 | 502 | 503 | 504;

/**
 * One injected misbehaviour. Those that commit let Spot's own checks run first (token, route, order,
 * body), so an update that Spot would refuse is never stored by them; the others leave the order
 * alone, as a proxy, a gateway or an overloaded server in front of Spot would.
 */
export type Fault =
  /** Spot's JSON error envelope; retryAfter is the raw header value (seconds or HTTP date). No commit. */
  | { kind: "status"; status: FaultStatus; retryAfter?: string }
  /**
   * A proxy's HTML page (text/html) with this status (200..599); with 200, a maintenance page served
   * as a success, as some load balancers do. No commit.
   */
  | { kind: "html"; status: number }
  /**
   * JSON that is not Spot's envelope, as an API gateway or a WAF in front of Spot answers:
   * `{"message": "Forbidden"}`, `{"message": "Too Many Requests"}` (the status's reason phrase), with
   * this status (200..599). No commit.
   */
  | { kind: "gateway"; status: number }
  /** 200 with a body that is valid JSON but not an order (a changed or broken response). No commit. */
  | { kind: "garbage" }
  /** 200 with an empty body. No commit. */
  | { kind: "empty" }
  /**
   * Commits, then answers 200 with the right order in a shape the documentation does not promise:
   * `status` is "on_hold" (never documented), `recipient` is null, and keys whose value is null are
   * dropped from the returned `metadata` (at every depth; the store keeps what was sent). When Spot
   * would refuse the request, its error is answered as usual.
   */
  | { kind: "drift" }
  /**
   * No answer; `afterMs` after the request arrived, Spot's checks run and the update is committed
   * (a write queued behind a slow backend), whether or not the client is still there; if it is, it
   * then gets the normal answer. Not delayed further by `latencyMs`. close() cancels pending ones.
   */
  | { kind: "late-commit"; afterMs: number }
  /**
   * Commits (when Spot's checks pass), then answers this 5xx in Spot's error envelope instead of the
   * order, whatever Spot would have answered: the write landed, the answer was lost.
   */
  | { kind: "commit-then-fail"; status: 500 | 502 | 503 | 504 }
  /** Commits (when Spot's checks pass), then destroys the socket without answering. */
  | { kind: "commit-then-reset" }
  /**
   * Commits (when Spot's checks pass), sends the 200's status, headers and half its body, then
   * destroys the socket: the write landed, the answer broke mid-body. Other answers go out whole.
   */
  | { kind: "commit-then-cut" }
  /**
   * Answers as Spot would (its checks, then the commit and the 200), `afterMs` after the request
   * arrived: a slow backend, below the client's timeout when it is slow but not broken. The same
   * timing as `late-commit`, and not delayed further by `latencyMs`.
   */
  | { kind: "slow"; afterMs: number }
  /** A redirect (to Spot's login page) instead of an answer, as a misrouted edge would send. No commit. */
  | { kind: "redirect"; status: 301 | 302 | 303 | 307 | 308 }
  /** Never answers (until the client gives up or close()). No commit. */
  | { kind: "hang" }
  /** Destroys the socket without answering. No commit. */
  | { kind: "reset" };
