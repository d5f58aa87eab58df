/**
 * When an invocation's calls may run: none starts after the invocation's margin, and each ends, its
 * quick retries included, before the invocation's deadline and within the longest hold on an order;
 * the order then stays closed for the late-write window more (docs/ordering.md).
 */
import type { HandlerConfig } from "../config.ts";
import { MIN_ATTEMPT_MS } from "../spot/retry-policy.ts";

type Bound = "invocation" | "lease";

export class CallWindow {
  readonly #config: Pick<HandlerConfig, "deadlineMarginMs" | "ledgerLeaseSeconds" | "lateWriteWindowSeconds">;
  readonly #deadlineAt: number;

  constructor(config: CallWindow["config"], deadlineAt: number) {
    this.#config = config;
    this.#deadlineAt = deadlineAt;
  }

  get config() {
    return this.#config;
  }

  get lateWriteMs(): number {
    return this.#config.lateWriteWindowSeconds * 1000;
  }

  /** The end of a call that starts now. */
  callDeadline(now = Date.now()): number {
    const { deadlineMarginMs, ledgerLeaseSeconds } = this.#config;
    return Math.min(
      this.#deadlineAt - deadlineMarginMs / 2,
      now + ledgerLeaseSeconds * 1000 - this.lateWriteMs,
    );
  }

  /** The last moment an attempt of a call ending at `callDeadline` may start, and which bound it is. */
  latestStart(callDeadline: number): { at: number; of: Bound } {
    const invocation = this.#latestInvocationStart();
    const lease = callDeadline - MIN_ATTEMPT_MS;
    return invocation <= lease ? { at: invocation, of: "invocation" } : { at: lease, of: "lease" };
  }

  /** Which bound, if any, a call starting now would break. */
  tooLate(callDeadline = Number.POSITIVE_INFINITY, now = Date.now()): Bound | undefined {
    if (now > this.#latestInvocationStart()) return "invocation";
    if (now > callDeadline - MIN_ATTEMPT_MS) return "lease";
    return undefined;
  }

  #latestInvocationStart(): number {
    return this.#deadlineAt - this.#config.deadlineMarginMs;
  }
}
