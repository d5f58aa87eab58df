/**
 * Tells a wrong base URL from orders that do not exist, when a run of 404s asks: a 404 for every
 * order looks the same either way. Spot's list of orders answers 200 at the right base URL; once it
 * did, 404s are the orders' own for a while, and the list is not read again for each run.
 */
import type { BaseUrlProbe } from "../spot/client.ts";

/** How long one good answer of the list vouches for the base URL. */
const CONFIRMED_MS = 5 * 60_000;

export class BaseUrlCheck {
  readonly #probe: () => Promise<BaseUrlProbe>;
  #confirmedUntil = 0;
  #pending: Promise<BaseUrlProbe> | undefined;

  constructor(probe: () => Promise<BaseUrlProbe>) {
    this.#probe = probe;
  }

  /** `found` when the base URL answers as Spot's; one read for all the lanes that ask at once. */
  async verify(now = Date.now()): Promise<BaseUrlProbe> {
    if (now < this.#confirmedUntil) return "found";
    this.#pending ??= this.#probe()
      .then((result) => {
        if (result === "found") this.#confirmedUntil = Date.now() + CONFIRMED_MS;
        return result;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }
}
