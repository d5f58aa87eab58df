/**
 * The ordering benchmark's updates (bench/ordering.ts): every order gets versions 1 … V, each with a
 * later `issuedAt` than the one before, and all of them are shuffled with seeded dice before they
 * are sent, so the queue delivers each order's versions out of order. The version is in the
 * metadata too, so what Spot holds says which version won.
 */
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";

export interface OrderingUpdate {
  publicId: string;
  version: number;
  metadata: { version: string; order: string; clinic: string };
  issuedAt: string;
}

/** `O0000001` … */
export function orderIdOf(n: number): string {
  return `O${String(n).padStart(7, "0")}`;
}

/**
 * The updates in the order they are sent. Versions are a second apart, dated a minute before now:
 * in the past, as a producer's are by the time the handler reads them.
 */
export function planUpdates(orders: number, versions: number, seed: number): OrderingUpdate[] {
  const base = Date.now() - 60_000 - versions * 1000;
  const updates: OrderingUpdate[] = [];
  for (let n = 1; n <= orders; n++) {
    const publicId = orderIdOf(n);
    for (let version = 1; version <= versions; version++) {
      updates.push({
        publicId,
        version,
        metadata: { version: String(version), order: publicId, clinic: `clinic-${(n + version) % 7}` },
        issuedAt: new Date(base + version * 1000).toISOString(),
      });
    }
  }
  const dice = seededDice(seed);
  // Fisher–Yates with the seeded dice: the same seed sends the same sequence.
  for (let i = updates.length - 1; i > 0; i--) {
    const j = Math.floor(dice() * (i + 1));
    [updates[i], updates[j]] = [updates[j] as OrderingUpdate, updates[i] as OrderingUpdate];
  }
  return updates;
}

/** The version an update's body or metadata carries, or undefined. */
export function versionOf(metadata: unknown): number | undefined {
  const version = (metadata as { version?: unknown } | null | undefined)?.version;
  return typeof version === "string" ? Number(version) : undefined;
}
