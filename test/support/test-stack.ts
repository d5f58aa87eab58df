/** The local stack with the tests' defaults: fast timeouts and backoff, no metrics, logs captured. */

import { afterEach } from "vitest";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../lib/local/local-stack.ts";
import { type CapturedLogs, captureLogs } from "./log-capture.ts";

/** Nested options (sandbox, handler, event source) are merged over the defaults, not replaced. */
function startTestStack(logs: CapturedLogs, options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    logger: logs.logger,
    onMetrics: () => {},
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

/**
 * A local stack per test, for a test file: `start` it in a test (options as for `startTestStack`);
 * it stops after each test. `logs` are the started stack's.
 */
export function testStackPerTest(): {
  start(options?: LocalStackOptions): Promise<LocalStack>;
  readonly stack: LocalStack | undefined;
  readonly logs: CapturedLogs;
} {
  let stack: LocalStack | undefined;
  let logs = captureLogs();
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  return {
    async start(options = {}) {
      logs = captureLogs();
      stack = await startTestStack(logs, options);
      return stack;
    },
    get stack() {
      return stack;
    },
    get logs() {
      return logs;
    },
  };
}
