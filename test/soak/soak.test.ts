/**
 * The short soak (bench/soak.ts is the long one): 1,000 updates, 30 % transient faults of every kind,
 * 3 % permanent failures, crashing invocations and out-of-order updates of the same orders, with the
 * ledger on and three pollers. Nothing is lost, every dead letter has its reason, Spot ends with the
 * newest metadata of each order, and no older update ever lands after a newer one.
 */
import { expect, it } from "vitest";
import { runSoak } from "../../bench/support/soak-run.ts";

it("loses nothing and ends with the newest metadata, under faults and crashes", async () => {
  // Act
  const report = await runSoak({ messages: 1_000, seed: 3, timeoutMs: 80_000 });

  // Assess
  expect(report.problems).toStrictEqual([]);
  expect(report.applied + report.superseded + report.deadLettered).toBe(1_000);
  expect(report.deadLetteredBy["permanent 404 not_found"]).toBeGreaterThanOrEqual(15);
  expect(report.deadLetteredBy["permanent 400 bad_request"]).toBeGreaterThanOrEqual(10);
  expect(report.deadLetteredBy["permanent 200 invalid_response"]).toBeGreaterThanOrEqual(5);
  expect(report.faultsInjected / report.calls).toBeGreaterThan(0.2);
  expect(report.crashes).toBeGreaterThan(0);
}, 90_000);
