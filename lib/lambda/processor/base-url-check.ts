/**
 * Tells a wrong base URL from orders that do not exist, when a run of 404s asks: a 404 for every
 * order looks the same either way. It asks only what Spot surely has: a 200 this instance had for an
 * order shortly before vouches for the base URL; else that order, or one the ledger recorded as
 * applied, is read back (`GET` of one order); with no order known, Spot's list of orders is read,
 * which not every Spot lets a token read: then it cannot tell.
 */
import type { BaseUrlProbe } from "../spot/client.ts";
import type { SpotHealth } from "./spot-health.ts";

/** How long one 200 vouches for the base URL. */
const CONFIRMED_MS = 5 * 60_000;

export class BaseUrlCheck {
  readonly #probe: (knownOrder: string | undefined) => Promise<BaseUrlProbe>;
  readonly #health: SpotHealth;
  readonly #appliedInLedger: () => Promise<string | undefined>;
  #pending: Promise<BaseUrlProbe> | undefined;

  constructor(
    probe: (knownOrder: string | undefined) => Promise<BaseUrlProbe>,
    health: SpotHealth,
    appliedInLedger: () => Promise<string | undefined>,
  ) {
    this.#probe = probe;
    this.#health = health;
    this.#appliedInLedger = appliedInLedger;
  }

  /** `found` when the base URL answers as Spot's; one read for all the lanes that ask at once. */
  async verify(now = Date.now()): Promise<BaseUrlProbe> {
    const known = this.#health.lastApplied;
    if (known !== undefined && now - known.at < CONFIRMED_MS) return "found";
    this.#pending ??= this.#readBack(known?.publicId).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #readBack(known: string | undefined): Promise<BaseUrlProbe> {
    return this.#probe(known ?? (await this.#appliedInLedger().catch(() => undefined)));
  }
}
