/**
 * The adversarial property test of ordering, with more runs than `npm test` makes:
 *   npm run property -- --runs 40 [--seed N] [--path P]
 * Prints the seed first, and on a failure the shrunk scenario and how to replay it.
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { runScenario, scenarioArbitrary } from "./support/adversary.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    seed: { type: "string" },
    path: { type: "string" },
  },
});
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const runs = Number(values.runs);
console.log(
  `property "newest wins": ${runs} scenarios, seed ${seed}${values.path ? `, path ${values.path}` : ""}`,
);
const started = performance.now();
let played = 0;
const result = await fc.check(
  fc.asyncProperty(scenarioArbitrary, async (scenario) => {
    const problems = await runScenario(scenario);
    played++;
    if (problems.length > 0)
      console.log(`  scenario ${played}: ${problems.length} problems, e.g. ${problems[0]}`);
    return problems.length === 0;
  }),
  { seed, numRuns: runs, ...(values.path === undefined ? {} : { path: values.path }) },
);
const seconds = ((performance.now() - started) / 1000).toFixed(0);
if (result.failed) {
  console.log(fc.defaultReportMessage(result));
  console.log(
    `replay: npm run property -- --seed ${result.seed} --path ${result.counterexamplePath} --runs 1`,
  );
  process.exitCode = 1;
} else {
  console.log(`${played} scenarios passed in ${seconds} s`);
}
