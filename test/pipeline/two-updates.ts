/** Two updates of one order, an older and a newer, and a way to wait for the handler's log lines. */
import type { CapturedLogs } from "../support/log-capture.ts";
import { orderId, waitFor } from "../support/queues.ts";

const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();
export const older = { publicId: orderId(1), metadata: { v: "older" }, issuedAt: at(1) };
export const newer = { publicId: orderId(1), metadata: { v: "newer" }, issuedAt: at(2) };

/** The log lines of the stack now running (its logs change with each test's stack). */
export function logLines(local: { readonly logs: CapturedLogs }) {
  const entriesWith = (key: string, value: unknown) => local.logs.entries().filter((e) => e[key] === value);
  return {
    entriesWith,
    waitForLog: (key: string, value: unknown) =>
      waitFor(() => entriesWith(key, value).length > 0, 60_000, `a log line with ${key} = ${String(value)}`),
  };
}
