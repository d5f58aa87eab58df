/**
 * The headline promise, tested adversarially: whatever the producers, the pollers, Spot's edge, the
 * ledger and the crashes do, each order ends holding its greatest valid update, the ledger knows it,
 * and nothing is lost (bench/support/adversary.ts plays each scenario on the local stack). Valid is
 * what Spot does not refuse and the handler must accept: refused updates, updates past the clock-skew
 * limit and those of unknown orders are dead-lettered with their reason, and nothing else, whatever
 * a producer's forged `history`, a systemic answer of Spot's, an outage or a slow ledger.
 *
 * A fixed seed in CI, three scenarios (about 12 s); `npm run property -- --runs 40` draws more. A
 * failure prints the seed, the path and the shrunk scenario: `npm run property -- --seed N --path P
 * --runs 1 --trace` replays it and shows what happened to its orders.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { runScenario, scenarioArbitrary } from "../../bench/support/adversary.ts";

it("ends every order with its newest valid update, under every fault at once", async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      expect(await runScenario(scenario)).toStrictEqual([]);
    }),
    // Three scenarios take 10-35 s; a failure is shrunk for what is left of 75 s, then reported with
    // the seed and the scenario shrunk so far.
    { seed: 20261129, numRuns: 3, plugins: [fc.interruptAfterTimeLimit(75_000)] },
  );
}, 120_000);
