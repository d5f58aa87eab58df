/**
 * A TCP proxy on 127.0.0.1 that adds a fixed round-trip delay to every exchange, so a benchmark
 * against a server on the same machine sees a network like the one to SQS (a few ms a call).
 * Each chunk to the server is held for the whole round trip and passed on in order (answers come
 * straight back: one timer per exchange instead of two, as timers overshoot by up to a
 * millisecond); chunks are not serialised behind each other, so the link adds latency without
 * limiting bandwidth.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

export interface LatencyProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's endpoint (and queue URLs). */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts the proxy in front of `target` (`host:port`), adding `roundTripMs` to each round trip. */
export async function startLatencyProxy(
  target: { host: string; port: number },
  roundTripMs: number,
): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    relay(client, upstream, roundTripMs);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Passes what `from` sends to `to` once it is `delayMs` old. One timer per direction, re-armed for
 * the oldest chunk still held: setTimeout alone has whole-millisecond steps.
 */
function relay(from: Socket, to: Socket, delayMs: number): void {
  const held: { due: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (held.length > 0 && (held[0] as { due: number }).due <= now)
      to.write((held.shift() as { chunk: Buffer }).chunk);
    if (held.length > 0) arm();
    else if (ended) to.end();
  };
  const arm = () => {
    if (timer === undefined)
      timer = setTimeout(flush, Math.max(0, (held[0] as { due: number }).due - performance.now()));
  };
  from.on("data", (chunk: Buffer) => {
    held.push({ due: performance.now() + delayMs, chunk });
    arm();
  });
  from.on("end", () => {
    ended = true;
    if (held.length === 0) to.end();
  });
}
