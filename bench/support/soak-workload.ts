/**
 * The soak's updates, reproducible from a seed: most orders get one update, a quarter of them two to
 * four with different `issuedAt`, all shuffled; 2.5 % of the updates are invalid, refused by Spot for
 * good (1.5 % unknown orders → 404, 1 % a 400), and 0.5 % first meet a run of 200s that are no order
 * (junk that proves nothing, so they must still land), each on an order of its own so that what Spot
 * must end up holding is exact.
 */
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import type { Fault, FaultPlan } from "../../lib/local/sandbox/types.ts";

export interface SoakUpdate {
  /** `publicId@issuedAt`: unique per update, and readable back from any body. */
  key: string;
  message: { publicId: string; metadata: Record<string, string>; issuedAt: string };
  /** Set for the invalid updates, which Spot refuses for good: the dead letter's status and error type. */
  expectedFailure?: { status: number; errorType: string };
}

/** What Spot must hold for an order in the end: metadata, null (never set) or undefined (no such order). */
export type ExpectedMetadata = Record<string, string> | null | undefined;

export interface Workload {
  /** In the order they are sent (shuffled). */
  updates: SoakUpdate[];
  /** Every order's updates, oldest first. */
  byOrder: Map<string, SoakUpdate[]>;
  /** The orders the sandbox knows. */
  knownOrders: string[];
  /** The sandbox's scripted faults: the permanent 400s and the runs of junk 200s. */
  script: NonNullable<FaultPlan["script"]>;
  /**
   * Per order, what Spot must end up holding: the metadata of its valid update with the greatest
   * `issuedAt` (newest wins, whatever was dead-lettered or came late), null for a known order with no
   * valid update, undefined for an unknown one.
   */
  expected: Map<string, ExpectedMetadata>;
}

const BASE_TIME = Date.UTC(2026, 10, 27, 9, 0, 0);
/** More than the receives a message gets, so a scripted order fails on every delivery. */
const SCRIPTED_REPEATS = 12;
/**
 * Junk 200s before a junk order is served normally: more than one receive's attempts, so the
 * message has to come back from the queue; few, so the short soak stays short.
 */
const JUNK_REPEATS = 3;
/** The 200s that are no order, in turn: a maintenance page, nothing, JSON of another shape. */
const JUNK_FAULTS: Fault[] = [{ kind: "html", status: 200 }, { kind: "empty" }, { kind: "garbage" }];

export function planWorkload(messages: number, seed: number): Workload {
  const dice = seededDice(seed);
  const byOrder = new Map<string, SoakUpdate[]>();
  const knownOrders: string[] = [];
  const script: Workload["script"] = [];
  const add = (publicId: string, count: number, expectedFailure?: SoakUpdate["expectedFailure"]) => {
    const updates = Array.from({ length: count }, (_, i) => {
      const issuedAt = new Date(BASE_TIME + i * 1000).toISOString();
      const update: SoakUpdate = {
        key: `${publicId}@${issuedAt}`,
        message: { publicId, metadata: { rev: String(BASE_TIME + i * 1000), clinic: `c${i}` }, issuedAt },
      };
      if (expectedFailure !== undefined) update.expectedFailure = expectedFailure;
      return update;
    });
    byOrder.set(publicId, updates);
  };
  const unknown = Math.round(messages * 0.015);
  const badRequest = Math.round(messages * 0.01);
  const junk = Math.round(messages * 0.005);
  for (let i = 0; i < unknown; i++) add(`UNKNOWN-${i}`, 1, { status: 404, errorType: "not_found" });
  for (let i = 0; i < badRequest; i++) {
    const publicId = `BAD-${i}`;
    knownOrders.push(publicId);
    add(publicId, 1, { status: 400, errorType: "bad_request" });
    for (let n = 0; n < SCRIPTED_REPEATS; n++)
      script.push({ publicId, fault: { kind: "status", status: 400 } });
  }
  for (let i = 0; i < junk; i++) {
    const publicId = `JUNK-${i}`;
    knownOrders.push(publicId);
    add(publicId, 1);
    for (let n = 0; n < JUNK_REPEATS; n++) {
      script.push({ publicId, fault: JUNK_FAULTS[(i + n) % JUNK_FAULTS.length] as Fault });
    }
  }
  let remaining = messages - unknown - badRequest - junk;
  for (let n = 1; remaining > 0; n++) {
    const count = Math.min(remaining, dice() < 0.25 ? 2 + Math.floor(dice() * 3) : 1);
    const publicId = `O${String(n).padStart(7, "0")}`;
    knownOrders.push(publicId);
    add(publicId, count);
    remaining -= count;
  }
  const updates = [...byOrder.values()].flat();
  // Fisher–Yates with the seeded dice: older and newer updates of an order arrive in any order.
  for (let i = updates.length - 1; i > 0; i--) {
    const j = Math.floor(dice() * (i + 1));
    [updates[i], updates[j]] = [updates[j] as SoakUpdate, updates[i] as SoakUpdate];
  }
  return { updates, byOrder, knownOrders, script, expected: expectedMetadata(byOrder, knownOrders) };
}

/** Newest valid update per order wins; see {@link Workload.expected}. */
function expectedMetadata(byOrder: Map<string, SoakUpdate[]>, knownOrders: string[]) {
  const known = new Set(knownOrders);
  const expected = new Map<string, ExpectedMetadata>();
  for (const [publicId, updates] of byOrder) {
    let newest: SoakUpdate | undefined;
    for (const update of updates) {
      if (update.expectedFailure !== undefined) continue;
      // ISO-8601 UTC strings of one format order like the instants they name.
      if (newest === undefined || update.message.issuedAt > newest.message.issuedAt) newest = update;
    }
    expected.set(publicId, known.has(publicId) ? (newest?.message.metadata ?? null) : undefined);
  }
  return expected;
}
