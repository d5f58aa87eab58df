/**
 * What ky (or fetch under it) threw, as a failure the client returns: an HTTP status, the caller's
 * abort, a timeout or the deadline, a network error (whether a connection was made). Anything else
 * is a bug, thrown as {@link SpotClientError} with the original's name only: a ky error would carry
 * the request and its Authorization header.
 */
import { isHTTPError, isNetworkError, isTimeoutError } from "ky";
import { SpotMetaError } from "../errors.ts";
import {
  classifyBeforeRequest,
  classifyHttpFailure,
  classifyNoAnswer,
  type SpotFailure,
} from "./classify.ts";

/** A bug in how the client was called or in the client itself; never an HTTP or network outcome. */
export class SpotClientError extends SpotMetaError {
  override name = "SpotClientError";
}

/** A retry its pace would not start before the deadline: nothing was sent, the call ends. */
export class RetryNotStartedError extends SpotMetaError {
  override name = "RetryNotStartedError";
  constructor() {
    super("the pace would start the retry after the deadline");
  }
}

/** Socket errors that mean no connection was made: the request never left. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * @throws {SpotClientError} for anything that is not an HTTP or network outcome
 */
export function failureOfThrown(
  error: unknown,
  call: { signal: AbortSignal | undefined; deadline: number | undefined; timeoutMs: number },
): SpotFailure {
  if (isHTTPError(error)) {
    const { response } = error;
    return classifyHttpFailure(response.status, error.data, response.headers.get("retry-after"), Date.now());
  }
  if (call.signal?.aborted) return classifyNoAnswer("aborted", "the caller aborted the call");
  if (error instanceof RetryNotStartedError)
    return classifyBeforeRequest("transient", "deadline", error.message);
  if (isTimeoutError(error)) {
    if (call.deadline !== undefined && Date.now() >= call.deadline - 1) {
      return classifyNoAnswer("deadline", "the deadline passed before Spot answered");
    }
    return classifyNoAnswer("timeout", `the attempt timed out after ${call.timeoutMs} ms`);
  }
  if (isNetworkError(error) || isRawNetworkError(error)) {
    const cause = networkCause(error);
    const failure = classifyNoAnswer("network", `network error (${cause})`);
    // No connection was made, so nothing was sent.
    return NOT_CONNECTED.has(cause) ? { ...failure, mayHaveLanded: false } : failure;
  }
  const name = error instanceof Error ? error.name : typeof error;
  throw new SpotClientError(`unexpected ${name} while calling Spot`);
}

/**
 * What undici throws when the connection breaks while the body is read, after ky handed the response
 * over (what fetch itself throws, ky wraps in its NetworkError): a TypeError caused by the socket's
 * error. Told by its cause, not its text; a TypeError of ours (a bug) has none.
 */
function isRawNetworkError(error: unknown): boolean {
  return error instanceof TypeError && error.cause instanceof Error;
}

/** The socket-level code (ECONNRESET, UND_ERR_SOCKET…) without any URL or header. */
function networkCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return "connection failed";
}
