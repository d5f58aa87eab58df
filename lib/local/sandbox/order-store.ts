/**
 * The sandbox's orders. Only what changes is stored (metadata and timestamps); the rest of an order
 * is made up from its id on each answer, so seeding a million orders stays cheap.
 */
import { type OrderFull, seedOrder } from "../../lambda/spot/order-schema.ts";

interface StoredOrder {
  metadata: Record<string, unknown> | null;
  created: string;
  updated: string;
}

/** The ids `seedCount` creates: O0000001 … O000000N. */
export function seededOrderIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `O${String(i + 1).padStart(7, "0")}`);
}

export class OrderStore {
  readonly #orders = new Map<string, StoredOrder>();

  /** Adds orders with no metadata; ids already present keep their state. */
  add(publicIds: Iterable<string>): void {
    const now = new Date().toISOString();
    for (const id of publicIds) {
      if (!this.#orders.has(id)) this.#orders.set(id, { metadata: null, created: now, updated: now });
    }
  }

  get size(): number {
    return this.#orders.size;
  }

  /** The first `limit` orders, in the order they were added (Spot's list endpoint pages them). */
  list(limit: number): OrderFull[] {
    const page: OrderFull[] = [];
    for (const id of this.#orders.keys()) {
      if (page.length >= limit) break;
      const order = this.render(id);
      if (order !== undefined) page.push(order);
    }
    return page;
  }

  has(publicId: string): boolean {
    return this.#orders.has(publicId);
  }

  /** The stored metadata as is (callers outside the sandbox get a copy through `metadataOf`). */
  metadataOf(publicId: string): Record<string, unknown> | null | undefined {
    return this.#orders.get(publicId)?.metadata;
  }

  /** Replaces the metadata as a whole and bumps `updated`. @returns the order now, or undefined. */
  replaceMetadata(publicId: string, metadata: Record<string, unknown>): OrderFull | undefined {
    const stored = this.#orders.get(publicId);
    if (stored === undefined) return undefined;
    stored.metadata = metadata;
    stored.updated = new Date().toISOString();
    return this.render(publicId);
  }

  /** The full order as Spot would return it, or undefined when there is no such order. */
  render(publicId: string): OrderFull | undefined {
    const stored = this.#orders.get(publicId);
    if (stored === undefined) return undefined;
    return seedOrder(publicId, {
      metadata: stored.metadata as OrderFull["metadata"],
      created: stored.created,
      updated: stored.updated,
    });
  }
}
