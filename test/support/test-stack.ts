/** The local stack with the tests' defaults: fast timeouts and backoff, no metrics, logs captured. */
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../lib/local/local-stack.ts";
import type { CapturedLogs } from "./log-capture.ts";

/** Nested options (sandbox, handler, event source) are merged over the defaults, not replaced. */
export function startTestStack(logs: CapturedLogs, options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    logger: logs.logger,
    writeMetrics: () => {},
    ...options,
    sandbox: { seedCount: 100, ...options.sandbox },
    handler: {
      requestTimeoutMs: 300,
      retryLimit: 0,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 2,
      lateWriteWindowSeconds: 1,
      ledgerLeaseSeconds: 2,
      ...options.handler,
    },
    eventSource: { batchingWindowMs: 20, ...options.eventSource },
  });
}
