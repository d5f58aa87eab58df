/**
 * One call's HTTP attempts through ky: the request, the retries {@link RetryHooks} allow, and what
 * came of them, as the answer's text or a {@link SpotFailure}. The token goes only into the
 * Authorization header; ky's errors (which hold the request and its headers) never leave this module.
 */
import ky, { type Input, type Options } from "ky";
import { parseRetryAfter, type SpotFailure } from "./classify.ts";
import { RetryHooks } from "./retry-hooks.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import { failureOfThrown, RetryNotStartedError } from "./thrown.ts";

export interface CallOptions {
  signal?: AbortSignal;
  /** Epoch ms: no attempt and no wait beyond it (e.g. the Lambda deadline minus a margin). */
  deadline?: number;
  /**
   * Awaited before each retry, after its backoff: a pace at Spot counts retries too. `false`: the
   * retry may not start in time (its pace would hold it past the deadline); the call ends unsent.
   */
  beforeRetry?: () => Promise<boolean>;
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

/** One call to one order's URL, and how its attempts are bounded. */
export interface SpotRequest {
  method: "get" | "post";
  url: string;
  /** The body; none for a GET. */
  json: unknown;
  token: string;
  /** One attempt's timeout. */
  timeoutMs: number;
  retryLimit: number;
  policy: RetryPolicy;
}

export type Attempted =
  | { ok: true; status: number; text: string; earlierAttemptMayLand: boolean }
  | { ok: false; failure: SpotFailure };

/**
 * Sends the request, retrying as decideRetry allows; `countAttempt` is told of every attempt.
 * @throws {SpotClientError} for anything ky threw that is not an HTTP or network outcome
 */
export async function sendWithRetries(
  request: SpotRequest,
  options: CallOptions,
  countAttempt: () => void,
): Promise<Attempted> {
  const { deadline, signal } = options;
  const classify = (error: unknown) =>
    failureOfThrown(error, { signal, deadline, timeoutMs: request.timeoutMs });
  const retries = new RetryHooks(classify, request.policy, deadline);
  const attempts = new WatchedAttempts(options, countAttempt);
  try {
    const text = await ky(request.url, {
      ...requestOptions(request, options),
      fetch: (input, init) => attempts.fetch(input, init),
      retry: retries.options(request.retryLimit),
    }).text();
    return {
      ok: true,
      status: attempts.lastStatus,
      text,
      earlierAttemptMayLand: retries.earlierMayHaveLanded,
    };
  } catch (error) {
    return { ok: false, failure: retries.finalFailure(classify(error)) };
  }
}

/** ky's options for the request itself: what is sent, and how long an attempt and the call may take. */
function requestOptions(request: SpotRequest, { deadline, signal }: CallOptions): Options {
  return {
    method: request.method,
    ...(request.json === undefined ? {} : { json: request.json }),
    headers: { authorization: `Token ${request.token}`, accept: "application/json" },
    timeout: request.timeoutMs,
    // ky bounds every attempt and wait by it; our decideRetry vetoes waits that would not fit.
    totalTimeout: deadline === undefined ? false : Math.max(1, deadline - Date.now()),
    // A redirect would turn the POST into a GET elsewhere; report it instead of following it.
    redirect: "manual",
    ...(signal === undefined ? {} : { signal }),
  };
}

/** The fetch under ky: each attempt counted and told to the caller; a retry waits for its pace first. */
class WatchedAttempts {
  readonly #options: CallOptions;
  readonly #countAttempt: () => void;
  #sent = 0;
  /** The status of the last answer (0 until one comes). */
  lastStatus = 0;

  constructor(options: CallOptions, countAttempt: () => void) {
    this.#options = options;
    this.#countAttempt = countAttempt;
  }

  async fetch(input: Input, init?: RequestInit): Promise<Response> {
    if (this.#sent++ > 0 && (await this.#options.beforeRetry?.()) === false) throw new RetryNotStartedError();
    this.#countAttempt();
    const sentAt = Date.now();
    const response = await fetch(input, init);
    this.lastStatus = response.status;
    this.#options.onAnswer?.(answerOf(response, sentAt));
    return response;
  }
}

function answerOf(response: Response, sentAt: number): AttemptAnswer {
  const header = response.status === 429 ? response.headers.get("retry-after") : null;
  const retryAfterMs = header === null ? undefined : parseRetryAfter(header, Date.now());
  return { status: response.status, sentAt, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}
