/**
 * The shared pace's record in memory, for the simulation (bench/pace-sim.ts): what the DynamoDB
 * item does, each write answered after `latencyMs` (a round trip), and the writes counted.
 */
import type { FleetView, PaceReport, PaceStore } from "../../lib/lambda/processor/pace-store.ts";

export class MemoryPaceStore implements PaceStore {
  readonly #item: { limit?: number; cutAt?: number; reports: Map<string, PaceReport> } = {
    reports: new Map(),
  };
  readonly #latencyMs: number;
  writes = 0;

  constructor(latencyMs: number) {
    this.#latencyMs = latencyMs;
  }

  report(instance: string, report: PaceReport, forget: string[]): Promise<FleetView> {
    return this.#write(() => {
      for (const gone of forget) this.#item.reports.delete(gone);
      this.#item.reports.set(instance, report);
    });
  }

  cut(limit: number, at: number, after: number): Promise<FleetView> {
    return this.#write(() => {
      const { cutAt, limit: last } = this.#item;
      if (cutAt !== undefined && cutAt > after && limit <= (last ?? 0)) return;
      this.#item.limit = limit;
      this.#item.cutAt = at;
    });
  }

  /** The write lands halfway through the round trip; the view read then comes back at its end. */
  async #write(apply: () => void): Promise<FleetView> {
    await new Promise((resolve) => setTimeout(resolve, this.#latencyMs / 2));
    this.writes++;
    apply();
    const { limit, cutAt, reports } = this.#item;
    const view: FleetView = {
      ...(limit === undefined ? {} : { limit }),
      ...(cutAt === undefined ? {} : { cutAt }),
      reports: [...reports].map(([instance, r]) => ({ instance, ...r })),
    };
    await new Promise((resolve) => setTimeout(resolve, this.#latencyMs / 2));
    return view;
  }
}
