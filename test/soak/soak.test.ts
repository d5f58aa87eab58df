/**
 * The short soak (bench/soak.ts is the long one): 1,000 updates, 30 % transient faults of every kind
 * (writes that land after the client gave up, answers lost after the write, 200s that are no order
 * or drift from the schema), 2.5 % invalid updates, crashing invocations and out-of-order updates of
 * the same orders, with the ledger on and three pollers. Nothing is lost, every dead letter has its
 * reason, no order is stale (Spot ends with the newest valid update of each), and no older update
 * is applied after a newer one was recorded. Its timing needs the machine to itself: it is not in `npm test`
 * but in `npm run test:soak`, which CI runs after `npm test` (vitest.config.ts, project "soak").
 */
import { expect, it } from "vitest";
import { runSoak } from "../../bench/support/soak-run.ts";

it("loses nothing and ends with the newest metadata, under faults and crashes", async () => {
  // Act
  const report = await runSoak({ messages: 1_000, seed: 3, timeoutMs: 80_000 });

  // Assess
  expect(report.problems).toStrictEqual([]);
  expect(report.staleOrders).toBe(0);
  expect(report.applied + report.superseded + report.deadLettered).toBe(1_000);
  expect(report.deadLetteredBy["permanent 404 not_found"]).toBeGreaterThanOrEqual(15);
  expect(report.deadLetteredBy["permanent 400 bad_request"]).toBeGreaterThanOrEqual(10);
  expect(report.faultsInjected / report.calls).toBeGreaterThan(0.2);
  expect(report.lateWrites).toBeGreaterThan(0);
  expect(report.writesUnderFaults).toBeGreaterThan(report.lateWrites);
  expect(report.crashes).toBeGreaterThan(0);
}, 90_000);
