/**
 * The client of Spot's "Update order metadata" endpoint (and its read-only twin), on ky.
 *
 * It never throws for what HTTP or the network did: every call ends in a {@link SpotOutcome} the
 * caller switches on. The attempts and their retries are {@link sendWithRetries}'s. The token is
 * read per call, sent only in the Authorization header, and never put into anything returned or
 * thrown: ky's errors (which hold the request and its headers) never leave the client.
 */
import ky from "ky";
import { publicIdSchema } from "../contract.ts";
import { ConfigError, InvalidInputError } from "../errors.ts";
import {
  checkOrderResponse,
  checkUpdateResponse,
  classifyBeforeRequest,
  type SpotFailure,
  type SuccessCheck,
} from "./classify.ts";
import { checkClientOptions, type SpotClientOptions } from "./client-options.ts";
import type { OrderFull } from "./order-schema.ts";
import type { FailedOutcome, SpotOutcome } from "./outcome.ts";
import { DEFAULT_RETRY_BASE_DELAY_MS, MIN_ATTEMPT_MS } from "./retry-policy.ts";
import { type CallOptions, type SpotRequest, sendWithRetries } from "./send.ts";

/** What reading an order came to: the order, or why not (classified like an update). */
export type OrderLookup =
  | { kind: "found"; status: number; order: OrderFull; attempts: number; latencyMs: number }
  | FailedOutcome;

/** A call Spot answered 200 for, with the order as the check read it; each caller shapes its outcome. */
interface CallAnswered {
  kind: "ok";
  status: number;
  order: OrderFull;
  drift: string[];
  earlierAttemptMayLand: boolean;
  attempts: number;
  latencyMs: number;
}

/** What reading Spot's list of orders said of the base URL (see {@link SpotClient.probeBaseUrl}). */
export type BaseUrlProbe = "found" | "not_found" | "unknown";

/** Visible ASCII only: anything else would make the Headers API throw with the value in its message. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

export type { SpotClientOptions } from "./client-options.ts";
export type { AttemptAnswer, CallOptions } from "./send.ts";

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
   * Tells a wrong base URL from orders that do not exist, once, from what Spot surely has:
   * `knownOrder`, an order Spot answered 200 for at this base URL, read back; with none known, Spot's
   * list of orders (`GET /api/v2/orders/?limit=1`, which not every Spot may let a token read).
   * `found` when it answers as Spot does, `not_found` when it answers 404 too, `unknown` otherwise.
   */
  async probeBaseUrl(
    knownOrder: string | undefined,
    options: { deadline?: number } = {},
  ): Promise<BaseUrlProbe> {
    if (knownOrder === undefined) return this.#probeList(options);
    const lookup = await this.getOrder(knownOrder, options);
    if (lookup.kind === "found") return "found";
    return lookup.kind === "permanent" && lookup.status === 404 ? "not_found" : "unknown";
  }

  async #probeList(options: { deadline?: number }): Promise<BaseUrlProbe> {
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
      const isList =
        body !== null && typeof body === "object" && Array.isArray((body as { results?: unknown }).results);
      return isList ? "found" : "unknown";
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
  ): Promise<CallAnswered | FailedOutcome> {
    const started = performance.now();
    let attempts = 0;
    const done = (failure: SpotFailure, token?: string): FailedOutcome => ({
      ...(token === undefined ? failure : redact(failure, token)),
      attempts,
      latencyMs: Math.round(performance.now() - started),
    });

    const token = await this.#readyToSend(publicId, options.deadline);
    if (typeof token !== "string") return done(token);
    const attempted = await sendWithRetries(
      this.#requestOf(method, publicId, json, token),
      options,
      () => attempts++,
    );
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

  /** The token, or why no request may be sent: a publicId that is not one, no token, no time left. */
  async #readyToSend(publicId: string, deadline: number | undefined): Promise<string | SpotFailure> {
    const id = publicIdSchema.safeParse(publicId);
    if (!id.success) {
      const shown = JSON.stringify(String(publicId).slice(0, 40));
      const why = id.error.issues.map((issue) => issue.message).join("; ");
      return classifyBeforeRequest("permanent", "invalid_public_id", `publicId ${shown} ${why}`);
    }
    const token = await this.#readToken();
    if (typeof token !== "string") return token;
    if (deadline !== undefined && deadline - Date.now() < MIN_ATTEMPT_MS) {
      return classifyBeforeRequest("transient", "deadline", "the deadline left no time for an attempt");
    }
    return token;
  }

  #requestOf(method: "get" | "post", publicId: string, json: unknown, token: string): SpotRequest {
    const { timeoutMs, retryLimit, retryMaxDelayMs, rateLimitsToCaller } = this.#options;
    return {
      method,
      url: `${this.#baseUrl}/api/v2/orders/${encodeURIComponent(publicId)}/`,
      json,
      token,
      timeoutMs,
      retryLimit,
      policy: { retryMaxDelayMs, baseDelayMs: this.#baseDelayMs, rateLimitsToCaller },
    };
  }

  async #readToken(): Promise<string | SpotFailure> {
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
function redact(failure: SpotFailure, token: string): SpotFailure {
  const scrub = (text: string) => text.replaceAll(token, "[redacted]");
  return {
    ...failure,
    reason: scrub(failure.reason),
    logReason: scrub(failure.logReason),
    details: failure.details.map(scrub),
  };
}
