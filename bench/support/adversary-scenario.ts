/**
 * The adversarial scenarios of bench/support/adversary.ts, as plain data: the orders, the updates
 * of each producer, the broken ones, Spot's faults, the ledger's failures and the crashes, drawn by
 * fast-check ({@link scenarioArbitrary}) so that a failing one prints in full and shrinks.
 */
import fc from "fast-check";
import type { Fault } from "../../lib/local/sandbox/types.ts";

/** The handler's per-attempt timeout in these runs: late writes are placed around it. */
export const REQUEST_TIMEOUT_MS = 200;
export const LATE_WRITE_WINDOW_SECONDS = 1;
export const LEASE_SECONDS = 2;

export type ProducerName = "service-a" | "service-b" | "csv";

export interface ScenarioUpdate {
  /** Index into the scenario's orders. */
  order: number;
  producer: ProducerName;
  /** How long before the send the service decided it (ignored for the CSV import). */
  ageMs: number;
  value: number;
}

export interface Scenario {
  /** Orders Spot knows: O0000001 … */
  orders: number;
  updates: ScenarioUpdate[];
  /** Updates for an order Spot does not know: dead-lettered with its 404. */
  unknownOrderUpdates: number;
  /** Bodies that break the contract, and an issuedAt far in the future: dead-lettered as invalid. */
  invalidUpdates: number;
  faults: Array<{ fault: Fault; rate: number }>;
  /** Share of ledger calls that fail (throttled), and of invocations that die at a ledger call. */
  ledgerFailureRate: number;
  ledgerCrashRate: number;
  /** Share of invocations that die before or after the handler. */
  crashRate: number;
  pollers: number;
  seed: number;
}

export const orderId = (n: number) => `O${String(n + 1).padStart(7, "0")}`;
export const UNKNOWN_ORDER = "ZUNKNOWN1";

/** Every fault Spot's edge can produce, with late writes inside the window and past the lease. */
const faultArbitrary: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom<Fault>(
    { kind: "late-commit", afterMs: REQUEST_TIMEOUT_MS + 100 },
    { kind: "late-commit", afterMs: REQUEST_TIMEOUT_MS + LATE_WRITE_WINDOW_SECONDS * 900 },
    // Past the lease, within a window more: the newer update's re-assertion is what puts it right.
    { kind: "late-commit", afterMs: (LEASE_SECONDS + LATE_WRITE_WINDOW_SECONDS) * 1000 - 200 },
    { kind: "commit-then-fail", status: 502 },
    { kind: "commit-then-reset" },
    { kind: "commit-then-cut" },
    { kind: "html", status: 200 },
    { kind: "empty" },
    { kind: "garbage" },
    { kind: "drift" },
    { kind: "gateway", status: 403 },
    { kind: "status", status: 429 },
    { kind: "status", status: 429, retryAfter: "1" },
    { kind: "status", status: 503 },
    { kind: "html", status: 502 },
    { kind: "reset" },
    { kind: "hang" },
  ),
);

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 8 }).chain((orders) =>
  fc.record({
    orders: fc.constant(orders),
    updates: fc.array(
      fc.record({
        order: fc.integer({ min: 0, max: orders - 1 }),
        producer: fc.constantFrom<ProducerName>("service-a", "service-b", "csv"),
        // A few distinct ages, so that updates of one order tie on issuedAt often.
        ageMs: fc.constantFrom(0, 0, 400, 800, 1_500),
        value: fc.integer({ min: 0, max: 9 }),
      }),
      { minLength: orders, maxLength: orders * 4 },
    ),
    unknownOrderUpdates: fc.integer({ min: 0, max: 2 }),
    invalidUpdates: fc.integer({ min: 0, max: 2 }),
    faults: fc.uniqueArray(
      fc.record({ fault: faultArbitrary, rate: fc.double({ min: 0.02, max: 0.08, noNaN: true }) }),
      { maxLength: 6, selector: (entry) => JSON.stringify(entry.fault) },
    ),
    ledgerFailureRate: fc.constantFrom(0, 0.05, 0.15),
    ledgerCrashRate: fc.constantFrom(0, 0.03),
    crashRate: fc.constantFrom(0, 0.05),
    pollers: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  }),
);
