import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { LONGEST } from "./test/longest-files.ts";

/**
 * The short soak keeps its timing (2-s leases, 300-ms request timeouts) only on a machine that is
 * not saturated: a few seconds of starved cores at its start and it does not drain in 80 s (seen
 * at HEAD with three CPU hogs for 6 s). It runs alone, after every other file.
 */
const ALONE = ["test/soak/**/*.test.ts"];
/**
 * Files that load aws-cdk-lib and only compute. Spread over every worker, each worker loaded it: run
 * first, on two workers, they took ~16 s of CPU instead of ~21-28.
 */
const CDK = ["test/infra/**/*.test.ts", "test/docs/deploying-docs.test.ts"];

/** The longest files first (test/longest-files.ts says why), in its order; the others as vitest orders them. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.findIndex((path) => spec.moduleId.endsWith(path));
      return at === -1 ? LONGEST.length : at;
    };
    // Array.prototype.sort is stable: the unlisted keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Node's compile cache for the test workers and for every `spot-meta` a test spawns (they inherit the
 * environment): a spawned CLI then starts on ~0.35 s of CPU instead of ~0.7 s, and the suite spawns
 * dozens. On two shared cores the suite is bound by CPU, not by its waits. (Node's default folder.)
 */
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "node-compile-cache");

export default defineConfig({
  test: {
    // Hang detectors, not budgets: a test ends when its conditions hold. A machine whose two cores
    // are shared with four busy processes and another suite runs a 10-s test in over 60 s.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The suites start real servers (fauxqs, the Spot sandbox) on free ports. Most of a pipeline
    // file's time is spent waiting (visibility timeouts, backoffs, leases), not computing, so more
    // files run at once than there are cores: vitest's default (cores - 1) ran one file at a time
    // on two cores. With 6, the cores sat half idle for seconds while only pipeline files ran;
    // each worker more loads the modules again (~1 s of CPU): 8 cost more than they filled.
    pool: "forks",
    sequence: { sequencer: LongestFirst },
    maxWorkers: Math.max(7, availableParallelism()),
    projects: [
      {
        extends: true,
        test: {
          name: "stack",
          include: ["test/**/*.test.ts"],
          exclude: [...ALONE, ...CDK],
          // A worker keeps its module cache from file to file (the AWS SDK, zod and fauxqs are
          // imported once per worker, not once per file): every file starts its own servers and
          // puts back what it changes.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: "cdk", include: CDK, isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: "soak", include: ALONE, sequence: { groupOrder: 2 } } },
    ],
  },
});
