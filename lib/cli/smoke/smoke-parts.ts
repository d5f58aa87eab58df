/**
 * The parts `spot-meta smoke` reports on, one line each, and how each is judged from what was seen.
 * A line says what worked or what did not, and names key names at most: never the token, never a
 * metadata value.
 */
import type { OrderLookup } from "../../lambda/spot/client.ts";
import type { OrderMetadata } from "../../lambda/spot/order-schema.ts";

export const PART_NAMES = ["queue", "function", "token", "Spot", "ledger", "restore", "alarm topic"] as const;
export type PartName = (typeof PART_NAMES)[number];

export const PartState = { ok: "ok", failed: "FAILED", notChecked: "not checked" } as const;
export type PartState = (typeof PartState)[keyof typeof PartState];

export interface Part {
  name: PartName;
  state: PartState;
  detail: string;
}

export const ok = (name: PartName, detail: string): Part => ({ name, state: PartState.ok, detail });
export const failed = (name: PartName, detail: string): Part => ({ name, state: PartState.failed, detail });
export const notChecked = (name: PartName, detail: string): Part => ({
  name,
  state: PartState.notChecked,
  detail,
});

/** What the first read of the test order said of the token and of Spot, and the metadata to put back. */
export type FirstRead =
  | { readable: true; token: Part; spot: Part; metadata: OrderMetadata | null }
  | { readable: false; token: Part; spot: Part };

/** Judges the read made before anything is sent: a 401/403 is the token's, no answer is Spot's. */
export function judgeFirstRead(lookup: OrderLookup, publicId: string, baseUrl: string): FirstRead {
  if (lookup.kind === "found") {
    const metadata = lookup.order.metadata ?? null;
    return {
      readable: true,
      token: ok("token", "Spot accepted it"),
      spot: ok("Spot", `reads ${publicId} at ${baseUrl} (keys: ${keysOf(metadata)})`),
      metadata,
    };
  }
  const why = lookup.logReason;
  if (lookup.status === 401 || lookup.status === 403 || lookup.errorType?.includes("token")) {
    return {
      readable: false,
      token: failed(
        "token",
        `Spot refused it or it could not be read (${why}): check the secret (SPOT_META_SPOT_TOKEN_SECRET_ID, SecretArn)`,
      ),
      spot: notChecked("Spot", `answers at ${baseUrl}, but without a token it accepts nothing can be read`),
    };
  }
  const tokenUntold = notChecked("token", "Spot gave no answer that tells");
  if (lookup.kind === "permanent" && lookup.status === 404) {
    return {
      readable: false,
      token: ok("token", "Spot accepted it"),
      spot: failed(
        "Spot",
        `has no order ${publicId} at ${baseUrl} (404): check --public-id and the base URL`,
      ),
    };
  }
  return {
    readable: false,
    token: tokenUntold,
    spot: failed("Spot", `cannot read ${publicId} at ${baseUrl}: ${why}`),
  };
}

/** The metadata's key names, for a line that must never show its values. */
export function keysOf(metadata: OrderMetadata | null | undefined): string {
  if (metadata === null || metadata === undefined) return "none";
  const keys = Object.keys(metadata);
  return keys.length === 0 ? "none" : keys.join(", ");
}

/** Whether two JSON values are the same, whatever the order of their keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

/** One line a part: its name, its state, what was seen. */
export function formatParts(parts: readonly Part[]): string {
  return parts.map((part) => `${part.name.padEnd(12)} ${part.state.padEnd(12)} ${part.detail}\n`).join("");
}
