/**
 * The adversarial property test of ordering, with more runs than `npm test` makes:
 *   npm run property -- --runs 40 [--seed N] [--path P] [--keep-going] [--trace] [--shrink-seconds S]
 * Prints the seed first, each failing scenario's problems as it ends, and on a failure the shrunk
 * scenario and how to replay it. `--keep-going` plays every run instead of stopping and shrinking at
 * the first failure, and lists the failing runs with the path that replays each. `--trace` prints,
 * under a failing scenario, what happened to the orders its problems name. Shrinking plays a scenario
 * per step (5-15 s each): past `--shrink-seconds` (default 300) the scenario shrunk so far is reported.
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { runScenario, type Scenario, scenarioArbitrary } from "./support/adversary.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    seed: { type: "string" },
    path: { type: "string" },
    "keep-going": { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
    "shrink-seconds": { type: "string", default: "300" },
  },
});
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const runs = Number(values.runs);
const keepGoing = values["keep-going"];
console.log(
  `property "newest wins": ${runs} scenarios, seed ${seed}${values.path ? `, path ${values.path}` : ""}${keepGoing ? ", keep going" : ""}`,
);
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
let played = 0;
/** When the first failure was seen: shrinking starts then. */
let failedAt: number | undefined;
const shrinkMs = Number(values["shrink-seconds"]) * 1000;
/** With --keep-going: the failing runs, by their index among the runs (the path that replays them). */
const failures: Array<{ index: number; scenario: Scenario; problems: string[] }> = [];
const result = await fc.check(
  fc.asyncProperty(scenarioArbitrary, async (scenario) => {
    // Past the budget, every candidate left is let pass unplayed: fast-check ends with the last failing one.
    if (failedAt !== undefined && performance.now() - failedAt > shrinkMs) return true;
    const scenarioStarted = performance.now();
    const trace: string[] = [];
    const problems = await runScenario(scenario, values.trace ? { trace: (line) => trace.push(line) } : {});
    played++;
    const took = ((performance.now() - scenarioStarted) / 1000).toFixed(1);
    const name = `${failedAt === undefined ? "scenario" : "shrinking, scenario"} ${played}`;
    if (problems.length === 0) {
      console.log(`  ${name}: holds (${took} s)`);
      return true;
    }
    console.log(`  ${name}: ${problems.length} problems (${took} s)`);
    for (const problem of problems.slice(0, 6)) console.log(`    - ${problem}`);
    for (const line of trace) console.log(`      ${line}`);
    if (!keepGoing) {
      failedAt ??= performance.now();
      return false;
    }
    // With --path, the runs start at the path's first step.
    const first = values.path === undefined ? 0 : Number(values.path.split(":")[0]);
    failures.push({ index: first + played - 1, scenario, problems });
    return true;
  }),
  { seed, numRuns: runs, ...(values.path === undefined ? {} : { path: values.path }) },
);
if (result.failed) {
  console.log(fc.defaultReportMessage(result));
  console.log(
    `replay: npm run property -- --seed ${result.seed} --path ${result.counterexamplePath} --runs 1`,
  );
  process.exitCode = 1;
} else if (failures.length > 0) {
  console.log(`${failures.length} of ${played} scenarios failed in ${seconds()} s (seed ${seed}):`);
  for (const { index, scenario, problems } of failures) {
    console.log(`  run ${index + 1}: npm run property -- --seed ${seed} --path ${index} --runs 1`);
    console.log(`    ${fc.stringify(scenario)}`);
    for (const problem of problems) console.log(`    - ${problem}`);
  }
  process.exitCode = 1;
} else {
  console.log(`${played} scenarios passed in ${seconds()} s`);
}
