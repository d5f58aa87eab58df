/** The client's options, checked once: every problem named, none of them echoing the token. */
import { isLoopbackUrl } from "../loopback.ts";

export interface SpotClientOptions {
  /** Spot's API root, e.g. `https://app.spotdx.com`; plain http only for localhost (the sandbox). */
  baseUrl: string;
  /** Read per call (the caller caches it); never logged. */
  token: () => string | Promise<string>;
  /** One attempt's timeout. */
  timeoutMs: number;
  /** Quick in-process retries for transient failures (0 = none). */
  retryLimit: number;
  /** Cap of the backoff, and the longest `Retry-After` honoured in-process. */
  retryMaxDelayMs: number;
  /** Delay before the first retry, before jitter; doubled each retry. @default 300 */
  retryBaseDelayMs?: number;
  /** A 429 ends the call at once, for the caller to wait out (retry-policy.ts). @default false */
  rateLimitsToCaller?: boolean;
}

export function checkClientOptions(options: SpotClientOptions): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(options.baseUrl);
  } catch {
    problems.push("baseUrl: must be a URL");
  }
  if (url !== undefined) {
    const allowed = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url));
    if (!allowed) problems.push("baseUrl: must be https (plain http only for localhost)");
    if (url.search !== "" || url.hash !== "") problems.push("baseUrl: must have no query or fragment");
  }
  if (typeof options.token !== "function") problems.push("token: must be a function returning the token");
  const integer = (name: string, value: unknown, min: number) => {
    if (!Number.isInteger(value) || (value as number) < min)
      problems.push(`${name}: must be an integer ≥ ${min}`);
  };
  integer("timeoutMs", options.timeoutMs, 1);
  integer("retryLimit", options.retryLimit, 0);
  integer("retryMaxDelayMs", options.retryMaxDelayMs, 0);
  if (options.retryBaseDelayMs !== undefined) integer("retryBaseDelayMs", options.retryBaseDelayMs, 0);
  return problems;
}
