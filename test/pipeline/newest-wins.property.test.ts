/**
 * The headline promise, tested adversarially: whatever the producers, the pollers, Spot's edge, the
 * ledger and the crashes do, each order ends holding its newest valid update, the ledger knows it,
 * and nothing is lost (bench/support/adversary.ts plays each scenario on the local stack).
 *
 * A fixed seed in CI; `npm run property -- --runs 40` draws more, and a failure prints the seed and
 * the shrunk scenario to replay with `--seed N --path P`.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { runScenario, scenarioArbitrary } from "../../bench/support/adversary.ts";

it("ends every order with its newest valid update, under every fault at once", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      expect(await runScenario(scenario)).toStrictEqual([]);
    }),
    { seed: 20261129, numRuns: 3, endOnFailure: true },
  );
}, 120_000);
