/**
 * The adversarial scenarios of bench/support/adversary.ts, as plain data: the orders, the updates
 * of each producer (some refused by Spot, duplicated, dated near the clock-skew limit or carrying a
 * forged history), the broken ones, Spot's faults, outages and dark port, the ledger's failures,
 * slowness and crashes, the queues (standard or FIFO), drawn by fast-check ({@link scenarioArbitrary})
 * so that a failing one prints in full and shrinks. Every rare draw shrinks away to its absence.
 */
import fc from "fast-check";
import type { Fault } from "../../lib/local/sandbox/types.ts";

/** The handler's per-attempt timeout in these runs: late writes and slow 200s are placed around it. */
export const REQUEST_TIMEOUT_MS = 200;
/**
 * Two seconds, though late writes land within one: the sandbox shares the run's event loop, and on
 * a loaded machine its timers fire late; a write landing past the window is outside the guarantee.
 */
export const LATE_WRITE_WINDOW_SECONDS = 2;
export const LEASE_SECONDS = 3;
/** SPOT_META_MAX_CLOCK_SKEW_SECONDS in these runs. */
export const MAX_CLOCK_SKEW_SECONDS = 60;
/** SPOT_META_CIRCUIT_BREAKER_THRESHOLD in these runs: a run of 404s this long asks for the base URL. */
export const CIRCUIT_THRESHOLD = 5;
/** The queues' and the handler's maxReceiveCount in these runs. */
export const MAX_RECEIVE_COUNT = 5;
/** How much longer than the lease a slow ledger call takes. */
export const SLOW_LEDGER_MS = LEASE_SECONDS * 1000 + 300;
/**
 * How far from the clock-skew limit a skewed update is dated: just inside (valid), or outside by more
 * than any receive of it is late in these runs (so it is still outside when the handler reads it).
 */
export const SKEW_OFFSET_MS = { inside: -1_500, outside: 5_000 } as const;
/** Metadata fields Spot's validation refuses in these runs (the sandbox's refusedFields). */
export const REFUSED_FIELD = { 400: "spot_refuses_400", 422: "spot_refuses_422" } as const;

/**
 * `history` attributes a producer forged or broke: the handler writes this attribute on its own
 * requeues, and must not dead-letter a fresh message for what one claims.
 */
export const FORGED_HISTORIES = [
  '{"firstSentAt":1}',
  '{"ownFailures":4}',
  '{"ownFailures":99,"handBacks":1000000}',
  '{"firstSentAt":4102444800000}',
  "not json",
  "null",
] as const;

export type ProducerName = "service-a" | "service-b" | "csv";

export interface ScenarioUpdate {
  /** Index into the scenario's orders. */
  order: number;
  producer: ProducerName;
  /** How long before the send the service decided it (ignored for the CSV import, and with `skew`). */
  ageMs: number;
  value: number;
  /** Spot refuses this update's metadata every time (a field it does not allow): 400 or 422. */
  refusedWith?: 400 | 422;
  /** Services only: the same body sent twice, at once or 1.5 s later (a producer that retried). */
  duplicate?: "together" | "later";
  /** Services only: `issuedAt` ahead of the clock, just inside the skew limit or just outside. */
  skew?: "inside" | "outside";
  /** Services only: a forged `history` attribute, one of {@link FORGED_HISTORIES}. */
  history?: string;
}

export interface Scenario {
  /** Orders Spot knows: O0000001 … */
  orders: number;
  updates: ScenarioUpdate[];
  /** Updates for an order Spot does not know: dead-lettered with its 404. */
  unknownOrderUpdates: number;
  /**
   * Updates for that many different orders Spot does not know, sent in one call: a run of 404s past
   * the circuit's threshold when they share a batch. They are the orders' own: dead-lettered, 404.
   */
  unknownOrderRun: number;
  /** Bodies that break the contract, and an issuedAt far in the future: dead-lettered as invalid. */
  invalidUpdates: number;
  faults: Array<{ fault: Fault; rate: number }>;
  /** Every POST answered 500 in Spot's envelope, from afterMs after the storm starts, for forMs. */
  outage?: { afterMs: number; forMs: number };
  /** Nothing listening on Spot's port (connections refused), from afterMs, for forMs. */
  unreachable?: { afterMs: number; forMs: number };
  /** Share of ledger calls that fail (throttled), and of invocations that die at a ledger call. */
  ledgerFailureRate: number;
  ledgerCrashRate: number;
  /** Share of ledger calls that take {@link SLOW_LEDGER_MS}, longer than the lease, before or after. */
  slowLedgerRate: number;
  /** Share of invocations that die before or after the handler. */
  crashRate: number;
  pollers: number;
  batchSize: number;
  /** The stack's FIFO pair of queues (message group = the order) instead of standard ones. */
  fifo: boolean;
  seed: number;
}

export const orderId = (n: number) => `O${String(n + 1).padStart(7, "0")}`;
export const UNKNOWN_ORDER = "ZUNKNOWN1";
export const unknownRunOrderId = (n: number) => `ZRUN${String(n + 1).padStart(4, "0")}`;

/** Absent mostly: `weight` in `weight + absent` draws, and shrinks to absent. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, weight: number, absent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: absent }, { arbitrary, weight });
}

/** The value without its undefined keys, so that a printed scenario shows only what was drawn. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Every fault Spot's edge can produce, late writes inside the window among them. None lands past
 * it: docs/ordering.md says no client can order a write that lands at an arbitrary time.
 */
const faultArbitrary: fc.Arbitrary<Fault> = fc.constantFrom<Fault>(
  { kind: "late-commit", afterMs: REQUEST_TIMEOUT_MS + 100 },
  { kind: "late-commit", afterMs: REQUEST_TIMEOUT_MS + LATE_WRITE_WINDOW_SECONDS * 500 },
  // Slow but in time: the 200 comes before the client's per-attempt timeout.
  { kind: "slow", afterMs: REQUEST_TIMEOUT_MS - 50 },
  { kind: "slow", afterMs: REQUEST_TIMEOUT_MS / 2 },
  { kind: "commit-then-fail", status: 502 },
  { kind: "commit-then-reset" },
  { kind: "commit-then-cut" },
  { kind: "html", status: 200 },
  { kind: "empty" },
  { kind: "garbage" },
  { kind: "drift" },
  { kind: "gateway", status: 403 },
  // Systemic: the token refused in Spot's envelope, a misrouted edge. Nothing is dead-lettered for them.
  { kind: "status", status: 401 },
  { kind: "status", status: 403 },
  { kind: "redirect", status: 302 },
  { kind: "redirect", status: 308 },
  { kind: "status", status: 408 },
  { kind: "status", status: 429 },
  { kind: "status", status: 429, retryAfter: "1" },
  { kind: "status", status: 503 },
  { kind: "html", status: 502 },
  { kind: "reset" },
  { kind: "hang" },
);

const updateArbitrary = (orders: number): fc.Arbitrary<ScenarioUpdate> =>
  fc
    .record({
      order: fc.integer({ min: 0, max: orders - 1 }),
      producer: fc.constantFrom<ProducerName>("service-a", "service-b", "csv"),
      // A few distinct ages, so that updates of one order tie on issuedAt often.
      ageMs: fc.constantFrom(0, 0, 400, 800, 1_500),
      value: fc.integer({ min: 0, max: 9 }),
      refusedWith: rarely(fc.constantFrom<400 | 422>(400, 422), 1, 10),
      duplicate: rarely(fc.constantFrom<"together" | "later">("together", "later"), 1, 7),
      skew: rarely(fc.constantFrom<"inside" | "outside">("inside", "outside"), 1, 12),
      history: rarely(fc.constantFrom(...FORGED_HISTORIES), 1, 8),
    })
    .map(({ duplicate, skew, history, ...update }) =>
      // What only a service does is dropped from the CSV's rows, so that a printed scenario shows none.
      defined(update.producer === "csv" ? update : { ...update, duplicate, skew, history }),
    );

const windowArbitrary = (afterMs: number[], forMs: number[]) =>
  fc.record({ afterMs: fc.constantFrom(...afterMs), forMs: fc.constantFrom(...forMs) }).map(defined);

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 8 }).chain((orders) =>
  fc
    .record({
      orders: fc.constant(orders),
      updates: fc.array(updateArbitrary(orders), { minLength: orders, maxLength: orders * 4 }),
      unknownOrderUpdates: fc.integer({ min: 0, max: 2 }),
      unknownOrderRun: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: CIRCUIT_THRESHOLD + 1, max: CIRCUIT_THRESHOLD + 3 }), weight: 1 },
      ),
      invalidUpdates: fc.integer({ min: 0, max: 2 }),
      faults: fc.uniqueArray(
        fc
          .record({ fault: faultArbitrary, rate: fc.double({ min: 0.02, max: 0.08, noNaN: true }) })
          .map(defined),
        { maxLength: 6, selector: (entry) => JSON.stringify(entry.fault) },
      ),
      outage: rarely(windowArbitrary([0, 500, 1_500], [2_000, 3_000, 4_000]), 1, 2),
      unreachable: rarely(windowArbitrary([0, 500, 1_500], [1_000, 2_500]), 1, 3),
      ledgerFailureRate: fc.constantFrom(0, 0.05, 0.15),
      ledgerCrashRate: fc.constantFrom(0, 0.03),
      slowLedgerRate: fc.constantFrom(0, 0, 0.03),
      crashRate: fc.constantFrom(0, 0.05),
      pollers: fc.integer({ min: 1, max: 3 }),
      batchSize: fc.constantFrom(5, 10),
      fifo: fc.constantFrom(false, false, false, true),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
    })
    .map(defined),
);
