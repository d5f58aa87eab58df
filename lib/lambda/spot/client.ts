/**
 * The client of Spot's "Update order metadata" endpoint (and its read-only twin), on ky.
 *
 * It never throws for what HTTP or the network did: every call ends in a {@link SpotOutcome} the
 * caller switches on. The retry decision is {@link decideRetry}; ky waits and re-sends. The token
 * is read per call, sent only in the Authorization header, and never put into anything returned or
 * thrown: ky's errors (which hold the request and its headers) never leave this module.
 */
import ky from "ky";
import { publicIdSchema } from "../contract.ts";
import { ConfigError, InvalidInputError } from "../errors.ts";
import {
  checkOrderResponse,
  checkUpdateResponse,
  classifyBeforeRequest,
  type Failure,
  parseRetryAfter,
  type SuccessCheck,
} from "./classify.ts";
import { checkClientOptions, type SpotClientOptions } from "./client-options.ts";
import type { OrderFull } from "./order-schema.ts";
import type { FailedOutcome, SpotOutcome } from "./outcome.ts";
import {
  DEFAULT_RETRY_BASE_DELAY_MS,
  decideRetry,
  MIN_ATTEMPT_MS,
  type RetryDecision,
} from "./retry-policy.ts";
import { failureOfThrown } from "./thrown.ts";

export interface CallOptions {
  signal?: AbortSignal;
  /** Epoch ms: no attempt and no wait beyond it (e.g. the Lambda deadline minus a margin). */
  deadline?: number;
  /** Awaited before each retry, after its backoff: a pace at Spot counts retries too. */
  beforeRetry?: () => Promise<void>;
  /** Told of each attempt's answer, retries included: a pace at Spot learns from them. */
  onAnswer?: (answer: AttemptAnswer) => void;
}

/** What one attempt got back, for a pace to learn from. */
export interface AttemptAnswer {
  status: number;
  /** Epoch ms when the attempt started. */
  sentAt: number;
  /** A 429's `Retry-After`, in ms. */
  retryAfterMs?: number;
}

/** What reading an order came to: the order, or why not (classified like an update). */
export type OrderLookup =
  | { kind: "found"; status: number; order: OrderFull; attempts: number; latencyMs: number }
  | FailedOutcome;

/** What reading Spot's list of orders said of the base URL (see {@link SpotClient.probeBaseUrl}). */
export type BaseUrlProbe = "found" | "not_found" | "unknown";

/** Visible ASCII only: anything else would make the Headers API throw with the value in its message. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const RETRIED_METHODS: Array<"get" | "post"> = ["get", "post"];

type Attempted =
  | { ok: true; status: number; text: string; earlierAttemptMayLand: boolean }
  | { ok: false; failure: Failure };

export type { SpotClientOptions } from "./client-options.ts";

export class SpotClient {
  readonly #options: SpotClientOptions;
  readonly #baseUrl: string;
  readonly #baseDelayMs: number;

  /** @throws {ConfigError} naming every option that is wrong (a non-https base URL, bad numbers). */
  constructor(options: SpotClientOptions) {
    const problems = checkClientOptions(options);
    if (problems.length > 0) throw new ConfigError(problems);
    this.#options = options;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#baseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  }

  /**
   * Replaces the order's metadata as a whole (`POST /api/v2/orders/{publicId}/`). An invalid
   * publicId is a permanent outcome with `errorType: "invalid_public_id"` and no request sent.
   * @throws {InvalidInputError} when metadata is not a plain object (a programming error).
   */
  async updateMetadata(
    publicId: string,
    metadata: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<SpotOutcome> {
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
      throw new InvalidInputError("metadata must be a JSON object");
    }
    return this.#call("post", publicId, { metadata }, options, (text) =>
      checkUpdateResponse(text, publicId, metadata),
    ).then((result) =>
      result.kind === "ok"
        ? {
            kind: "applied",
            status: result.status,
            drift: result.drift,
            earlierAttemptMayLand: result.earlierAttemptMayLand,
            attempts: result.attempts,
            latencyMs: result.latencyMs,
          }
        : result,
    );
  }

  /**
   * Tells a wrong base URL from orders that do not exist: reads Spot's list of orders
   * (`GET /api/v2/orders/?limit=1`), once, without retries. `found` when it answers 200 with a list,
   * `not_found` when it answers 404 too, `unknown` for anything else.
   */
  async probeBaseUrl(options: { deadline?: number } = {}): Promise<BaseUrlProbe> {
    const token = await this.#readToken();
    if (typeof token !== "string") return "unknown";
    const budget = options.deadline === undefined ? this.#options.timeoutMs : options.deadline - Date.now();
    if (budget < MIN_ATTEMPT_MS) return "unknown";
    try {
      const response = await ky(`${this.#baseUrl}/api/v2/orders/?limit=1`, {
        headers: { authorization: `Token ${token}`, accept: "application/json" },
        timeout: Math.min(this.#options.timeoutMs, budget),
        retry: 0,
        redirect: "manual",
        throwHttpErrors: false,
      });
      if (response.status === 404) return "not_found";
      if (response.status !== 200) return "unknown";
      const body: unknown = await response.json().catch(() => undefined);
      return body !== null &&
        typeof body === "object" &&
        Array.isArray((body as { results?: unknown }).results)
        ? "found"
        : "unknown";
    } catch {
      return "unknown"; // ky's errors hold the request and its Authorization header: never passed on
    }
  }

  /** Reads one order (`GET /api/v2/orders/{publicId}/`), with the same retries and classification. */
  async getOrder(publicId: string, options: CallOptions = {}): Promise<OrderLookup> {
    return this.#call("get", publicId, undefined, options, (text) => checkOrderResponse(text, publicId)).then(
      (result) =>
        result.kind === "ok"
          ? {
              kind: "found",
              status: result.status,
              order: result.order,
              attempts: result.attempts,
              latencyMs: result.latencyMs,
            }
          : result,
    );
  }

  async #call(
    method: "get" | "post",
    publicId: string,
    json: unknown,
    options: CallOptions,
    check: (text: string) => SuccessCheck,
  ): Promise<
    | {
        kind: "ok";
        status: number;
        order: OrderFull;
        drift: string[];
        earlierAttemptMayLand: boolean;
        attempts: number;
        latencyMs: number;
      }
    | FailedOutcome
  > {
    const started = performance.now();
    let attempts = 0;
    const done = (failure: Failure, token?: string): FailedOutcome => ({
      ...(token === undefined ? failure : redact(failure, token)),
      attempts,
      latencyMs: Math.round(performance.now() - started),
    });

    const id = publicIdSchema.safeParse(publicId);
    if (!id.success) {
      const shown = JSON.stringify(String(publicId).slice(0, 40));
      const why = id.error.issues.map((issue) => issue.message).join("; ");
      return done(classifyBeforeRequest("permanent", "invalid_public_id", `publicId ${shown} ${why}`));
    }
    const token = await this.#readToken();
    if (typeof token !== "string") return done(token);
    if (options.deadline !== undefined && options.deadline - Date.now() < MIN_ATTEMPT_MS) {
      return done(classifyBeforeRequest("transient", "deadline", "the deadline left no time for an attempt"));
    }

    const attempted = await this.#send(method, publicId, json, token, options, () => attempts++);
    if (!attempted.ok) return done(attempted.failure, token);
    const result = check(attempted.text);
    if (!result.ok) return done(result.failure, token);
    const latencyMs = Math.round(performance.now() - started);
    return {
      kind: "ok",
      status: attempted.status,
      order: result.order,
      drift: result.drift,
      earlierAttemptMayLand: attempted.earlierAttemptMayLand,
      attempts,
      latencyMs,
    };
  }

  async #send(
    method: "get" | "post",
    publicId: string,
    json: unknown,
    token: string,
    options: CallOptions,
    countAttempt: () => void,
  ): Promise<Attempted> {
    const { deadline, signal, beforeRetry, onAnswer } = options;
    let sent = 0;
    const url = `${this.#baseUrl}/api/v2/orders/${encodeURIComponent(publicId)}/`;
    const policy = { retryMaxDelayMs: this.#options.retryMaxDelayMs, baseDelayMs: this.#baseDelayMs };
    let plannedDelayMs = 0;
    let lastDecision: RetryDecision | undefined;
    let lastStatus = 0;
    // An attempt whose write may have landed makes the whole call uncertain, whatever came after it.
    let earlierMayHaveLanded = false;
    const classify = (error: unknown) =>
      failureOfThrown(error, { signal, deadline, timeoutMs: this.#options.timeoutMs });
    try {
      const text = await ky(url, {
        method,
        ...(json === undefined ? {} : { json }),
        headers: { authorization: `Token ${token}`, accept: "application/json" },
        timeout: this.#options.timeoutMs,
        // ky bounds every attempt and wait by it; our decideRetry vetoes waits that would not fit.
        totalTimeout: deadline === undefined ? false : Math.max(1, deadline - Date.now()),
        // A redirect would turn the POST into a GET elsewhere; report it instead of following it.
        redirect: "manual",
        ...(signal === undefined ? {} : { signal }),
        fetch: async (input, init) => {
          if (sent++ > 0) await beforeRetry?.();
          countAttempt();
          const sentAt = Date.now();
          const response = await fetch(input, init);
          lastStatus = response.status;
          onAnswer?.(answerOf(response, sentAt));
          return response;
        },
        retry: {
          limit: this.#options.retryLimit,
          // ky retries only idempotent methods by default; this POST is a full replacement, so
          // repeating it is safe.
          methods: RETRIED_METHODS,
          retryOnTimeout: true,
          // The whole decision is decideRetry's; ky then waits exactly `delay` (no jitter of its own).
          shouldRetry: ({ error, retryCount }) => {
            let failure: Failure;
            try {
              failure = classify(error);
            } catch {
              return false; // not an HTTP/network outcome: ky rethrows it, and so do we below
            }
            earlierMayHaveLanded ||= failure.mayHaveLanded;
            lastDecision = decideRetry({
              failure,
              retryNumber: retryCount,
              now: Date.now(),
              ...(deadline === undefined ? {} : { deadline }),
              policy,
            });
            if (!lastDecision.retry) return false;
            plannedDelayMs = lastDecision.delayMs;
            return true;
          },
          delay: () => plannedDelayMs,
          jitter: undefined,
          backoffLimit: Number.POSITIVE_INFINITY,
        },
      }).text();
      return { ok: true, status: lastStatus, text, earlierAttemptMayLand: earlierMayHaveLanded };
    } catch (error) {
      const failure = classify(error);
      failure.mayHaveLanded ||= earlierMayHaveLanded;
      if (lastDecision?.retry === false && lastDecision.why === "retry_after_beyond_ceiling") {
        failure.reason += `; Retry-After is beyond the in-process ceiling of ${policy.retryMaxDelayMs} ms, left to the queue`;
      } else if (lastDecision?.retry === false && lastDecision.why === "deadline") {
        failure.reason += "; no retry: it would not fit before the deadline";
      }
      return { ok: false, failure };
    }
  }

  async #readToken(): Promise<string | Failure> {
    let token: string;
    try {
      token = await this.#options.token();
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      return classifyBeforeRequest(
        "systemic",
        "token_unavailable",
        `the Spot token could not be read (${name})`,
      );
    }
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) {
      return classifyBeforeRequest(
        "systemic",
        "invalid_token",
        "the Spot token is empty or holds characters a header cannot carry",
      );
    }
    return token;
  }
}

/** Defence in depth: should Spot ever echo the token in its details, it goes no further. */
function redact(failure: Failure, token: string): Failure {
  const scrub = (text: string) => text.replaceAll(token, "[redacted]");
  return { ...failure, reason: scrub(failure.reason), details: failure.details.map(scrub) };
}

function answerOf(response: Response, sentAt: number): AttemptAnswer {
  const header = response.status === 429 ? response.headers.get("retry-after") : null;
  const retryAfterMs = header === null ? undefined : parseRetryAfter(header, Date.now());
  return { status: response.status, sentAt, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}
