/**
 * Virtual time for the pace simulation (bench/pace-sim.ts): `setTimeout` and `clearTimeout` replaced
 * by a queue of events run in time order, so the real pacer runs seconds of traffic in milliseconds
 * with no CPU to share. Each event's promise continuations run before the next event. For a process
 * of its own: the global timers stay replaced until {@link VirtualTime.restore}.
 */

interface Event {
  at: number;
  order: number;
  run: () => void;
  cancelled: boolean;
}

export class VirtualTime {
  now = 0;
  readonly #events: Event[] = [];
  #order = 0;
  readonly #realSetTimeout = globalThis.setTimeout;
  readonly #realClearTimeout = globalThis.clearTimeout;
  readonly #realSetImmediate = globalThis.setImmediate;

  constructor() {
    const at = (run: () => void, ms = 0) => this.at(this.now + Math.max(0, ms), run);
    (globalThis as { setTimeout: unknown }).setTimeout = at;
    (globalThis as { clearTimeout: unknown }).clearTimeout = (event?: Event) => {
      if (event !== undefined) event.cancelled = true;
    };
  }

  /** The clock the pacer is given. */
  readonly clock = (): number => this.now;

  at(time: number, run: () => void): Event {
    const event = { at: time, order: this.#order++, run, cancelled: false };
    let low = 0;
    let high = this.#events.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const other = this.#events[mid] as Event;
      if (other.at < time || (other.at === time && other.order < event.order)) low = mid + 1;
      else high = mid;
    }
    this.#events.splice(low, 0, event);
    return event;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.now + Math.max(0, ms), resolve));
  }

  /** Runs the events in time order while `until` says to go on. */
  async run(until: (now: number) => boolean): Promise<void> {
    for (let event = this.#events.shift(); event !== undefined; event = this.#events.shift()) {
      if (event.cancelled) continue;
      if (!until(event.at)) return;
      this.now = event.at;
      event.run();
      // The continuations of the promises the event settled, before the next event.
      await new Promise((resolve) => this.#realSetImmediate(resolve));
    }
  }

  restore(): void {
    globalThis.setTimeout = this.#realSetTimeout;
    globalThis.clearTimeout = this.#realClearTimeout;
  }
}

/** A seeded replacement for Math.random (mulberry32), so a simulated run is reproducible. */
export function seedRandom(seed: number): void {
  let state = seed >>> 0;
  Math.random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
