/**
 * Whether a failed `SendMessageBatch` call is worth repeating, and how to say why it failed: SQS's and
 * Node's error texts name the queue or the address, never a message body.
 */

const THROTTLING_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "KmsThrottled",
]);

/**
 * Whether a whole `SendMessageBatch` call is worth repeating: throttling, a server-side fault, or a
 * network failure (no response at all). A request SQS refused as ours (a missing queue, access
 * denied, a bad parameter) fails the same way every time.
 */
export function isRetryableCallError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError") return false;
  const details = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (THROTTLING_NAMES.has(error.name)) return true;
  const status = details.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429 || details.$fault === "server";
  return details.$fault !== "client";
}

export function describeCallError(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  // SQS's and Node's error texts name the queue or the address, never a message body.
  const text = error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message;
  return text === "" || text === error.name ? error.name : `${error.name}: ${text}`;
}
