/**
 * Reads orders back from Spot (`GET /api/v2/orders/{id}/`) for `spot-meta verify`, at a pace that
 * learns from Spot's 429s and never exceeds a ceiling. The request, its auth header, base URL rules,
 * timeout, retries (backoff, `Retry-After`) and classification are {@link SpotClient}'s: a read is
 * told apart from an update only by what its answer means here.
 */
import { createAdaptivePacer, type Pacer } from "../../lambda/processor/pacer.ts";
import { SpotClient } from "../../lambda/spot/client.ts";
import type { OrderMetadata } from "../../lambda/spot/order-schema.ts";

/** What reading one order came to. */
export type OrderRead =
  /** Spot's stored metadata; null when the order never had any. */
  | { kind: "found"; metadata: OrderMetadata | null }
  /** Spot answered 404 in its own envelope: no such order. */
  | { kind: "missing" }
  /** Anything else, after the retries: why, by status and Spot's error type only. */
  | { kind: "unreadable"; reason: string }
  /** Every read would fail the same way (the token, a redirect): not worth going on. */
  | { kind: "systemic"; reason: string };

export interface OrderReaderOptions {
  baseUrl: string;
  /** Read per call; never logged. */
  token: () => string | Promise<string>;
  /** Reads per second never to exceed. @default 10 */
  ceiling?: number;
  /** One attempt's timeout. @default 5000 */
  timeoutMs?: number;
  /** Retries of a failed read (5xx, timeout, 429…). @default 3 */
  retryLimit?: number;
  /** Cap of the backoff, and the longest `Retry-After` waited. @default 5000 */
  retryMaxDelayMs?: number;
  /** Delay before the first retry, doubled each time. @default 300 */
  retryBaseDelayMs?: number;
}

export class OrderReader {
  readonly #client: SpotClient;
  readonly #pacer: Pacer;

  /** @throws {ConfigError} for a base URL the client refuses (not https, not localhost) */
  constructor(options: OrderReaderOptions) {
    this.#client = new SpotClient({
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: options.timeoutMs ?? 5_000,
      retryLimit: options.retryLimit ?? 3,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
      ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
    });
    const ceiling = options.ceiling ?? 10;
    // Alone at Spot, unlike the handler's instances: start at the ceiling, slow down on 429s.
    this.#pacer = createAdaptivePacer({ ceiling, floor: Math.min(1, ceiling), firstShare: 1 });
  }

  /** The pace now, in reads per second. */
  get perSecond(): number {
    return this.#pacer.perSecond;
  }

  /**
   * Reads one order, waiting for the pace first (retries wait for it too).
   * @returns undefined when `signal` aborted before the read was made
   */
  async read(publicId: string, signal?: AbortSignal): Promise<OrderRead | undefined> {
    if (!(await untilAllowed(this.#pacer, signal))) return undefined;
    const lookup = await this.#client.getOrder(publicId, {
      ...(signal === undefined ? {} : { signal }),
      beforeRetry: () => this.#pacer.take(),
      onAnswer: (answer) => this.#pacer.observe(answer),
    });
    if (lookup.kind === "found") return { kind: "found", metadata: lookup.order.metadata };
    if (signal?.aborted) return undefined;
    if (lookup.kind === "permanent" && lookup.status === 404) return { kind: "missing" };
    const said = [lookup.status, lookup.errorType].filter((part) => part !== undefined).join(" ");
    if (lookup.kind === "systemic") return { kind: "systemic", reason: lookup.reason };
    return { kind: "unreadable", reason: said === "" ? "no answer" : said };
  }
}

/** Waits for the pace, or for the signal: whichever comes first. */
async function untilAllowed(pacer: Pacer, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal === undefined) {
    await pacer.take();
    return true;
  }
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([pacer.take().then(() => !signal.aborted), aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
