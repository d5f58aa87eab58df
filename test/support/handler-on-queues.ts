/**
 * The handler on fauxqs queues and a Spot sandbox, for tests that hand it batches built with the
 * record factory (a FIFO batch fauxqs would not hand out, a record enqueued days ago).
 */
import { type HandlerConfigInput, readConfig, toEnvironment } from "../../lib/lambda/config.ts";
import { createUpdateHandler, type HandlerOverrides } from "../../lib/lambda/update-handler.ts";
import { startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { startSpotSandbox } from "../../lib/local/sandbox/spot-sandbox.ts";
import { captureLogs } from "./log-capture.ts";

export interface HandlerOnQueuesOptions {
  fifo?: boolean;
  /** Handler settings over the tests' (no quick retries). */
  settings?: Partial<HandlerConfigInput>;
  overrides?: HandlerOverrides;
}

export async function startHandlerOnQueues(options: HandlerOnQueuesOptions = {}) {
  const queues = await startEmbeddedSqs({ fifo: options.fifo ?? false });
  const sandbox = await startSpotSandbox({ seedCount: 3 });
  const logs = captureLogs();
  const metrics: Array<Record<string, unknown>> = [];
  const config = readConfig(
    toEnvironment({
      spotBaseUrl: sandbox.url,
      spotToken: sandbox.token,
      dlqUrl: queues.dlqUrl,
      retryLimit: 0,
      ...options.settings,
    }),
  );
  const handler = createUpdateHandler(config, {
    sqs: queues.client(),
    logger: logs.logger,
    sqsEndpoint: queues.endpoint,
    onMetrics: (document) => metrics.push(document),
    ...options.overrides,
  });
  const stop = async () => {
    await queues.stop();
    await sandbox.close();
  };
  return { handler, logs, metrics, queues, sandbox, stop };
}
