/**
 * The import tests' fixture: a queue on fauxqs (FIFO if asked), a temporary folder for the CSV and
 * its rejects and checkpoint, and, when a test asks, the SQS proxy in front of the queue; all stopped
 * and removed after each test.
 */
import { afterEach } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../../../lib/local/embedded-sqs.ts";
import { type SqsProxy, type SqsProxyOptions, startSqsProxy } from "../../../support/sqs-proxy.ts";
import { type TempDir, tempDir } from "./files.ts";

export function importFixture() {
  let sqs: EmbeddedSqs | undefined;
  let proxy: SqsProxy | undefined;
  let dir: TempDir | undefined;
  const stop = async () => {
    await proxy?.stop();
    await sqs?.stop();
    dir?.remove();
    proxy = sqs = dir = undefined;
  };
  afterEach(stop);
  return {
    /** Stops what runs now (a property test starts afresh for each case). */
    stop,
    /** The queue and the folder; `target` sends through the proxy when one is asked for. */
    async setUp(options: { fifo?: boolean; proxy?: SqsProxyOptions } = {}) {
      sqs = await startEmbeddedSqs({ fifo: options.fifo ?? false });
      dir = tempDir();
      proxy = options.proxy === undefined ? undefined : await startSqsProxy(sqs.endpoint, options.proxy);
      const client = proxy?.client() ?? sqs.client();
      return { sqs, dir, proxy, target: { sqs: client, queueUrl: sqs.queueUrl } };
    },
    /** A proxy in front of the queue of `setUp`, for a test that builds it after its file. */
    async proxyFor(queue: EmbeddedSqs, options: SqsProxyOptions = {}): Promise<SqsProxy> {
      proxy = await startSqsProxy(queue.endpoint, options);
      return proxy;
    },
  };
}
