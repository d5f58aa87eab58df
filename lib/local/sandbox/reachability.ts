/**
 * The sandbox's port going dark for a while (a plan's `unreachable` window): it stops listening, so
 * connections are refused, drops the open ones, then listens again on the same port. Kept apart from
 * the server so that a new plan, or close(), can end a window in progress in one place.
 */
import type { Server } from "node:http";

/** How often to try the port again when something else took it meanwhile (unlikely on 127.0.0.1). */
const RELISTEN_RETRY_MS = 50;

export class Reachability {
  readonly #server: Server;
  readonly #port: number;
  #timers: NodeJS.Timeout[] = [];
  /** Every stop and start, in order: a start never overtakes the stop before it. */
  #chain: Promise<void> = Promise.resolve();
  #listening = true;
  #shutDown = false;

  /** @param port the port the server listens on now, and listens on again after a window */
  constructor(server: Server, port: number) {
    this.#server = server;
    this.#port = port;
  }

  /** Ends a window in progress, then schedules this one (none: the port stays open). */
  plan(window: { afterMs: number; forMs: number } | undefined): void {
    this.#clearTimers();
    this.#then(() => this.#start());
    if (window === undefined || this.#shutDown) return;
    this.#timers.push(
      setTimeout(() => this.#then(() => this.#stop()), window.afterMs),
      setTimeout(() => this.#then(() => this.#start()), window.afterMs + window.forMs),
    );
  }

  /** No window any more, and no listening again: the sandbox is closing. Resolves once settled. */
  async shutDown(): Promise<void> {
    this.#shutDown = true;
    this.#clearTimers();
    await this.#chain;
  }

  #then(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step);
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }

  async #stop(): Promise<void> {
    if (!this.#listening || this.#shutDown) return;
    this.#listening = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #start(): Promise<void> {
    while (!this.#listening && !this.#shutDown) {
      try {
        await listenOn(this.#server, this.#port);
        this.#listening = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_RETRY_MS));
      }
    }
  }
}

/** Listens on 127.0.0.1:`port`. @throws the listen error (EADDRINUSE when the port is taken) */
export function listenOn(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
