/**
 * The files that take longest, longest first, as they ran on two quiet cores: most of their time is
 * waiting (leases, backoffs, Spot's outages, the processes they start), so started last they run on
 * alone at the end. vitest orders by the last run's durations when it has them, by size when not (a
 * fresh clone: CI, a newcomer), and size says little here: the property test is 25 lines and plays
 * three scenarios of 8 s on a quiet machine, 30 s on a busy one; by size it started last. The
 * others in the order of their mean over four runs (26 s down to 4 s; a 5-s file started last by
 * size ended a run alone); a file that comes to take 4 s or more belongs here. vitest.config.ts
 * starts them first.
 */
export const LONGEST = [
  "test/pipeline/newest-wins.property.test.ts",
  "test/pipeline/outage.test.ts",
  "test/pipeline/interleavings.test.ts",
  "test/tools/verify/verify.test.ts",
  "test/pipeline/pipeline.test.ts",
  "test/pipeline/pace.test.ts",
  "test/pipeline/uncertain.test.ts",
  "test/cli/dlq-signals.test.ts",
  "test/pipeline/hand-backs.test.ts",
  "test/cli/import-command.test.ts",
  "test/pipeline/not-found-runs.test.ts",
  "test/tools/csv-import/import-csv.test.ts",
  "test/tools/csv-import/import-status.test.ts",
  "test/pipeline/ordering-faults.test.ts",
  "test/pipeline/conservation.test.ts",
  "test/lambda/ledger/protocol.model.test.ts",
  "test/tools/dlq/fault-injection.test.ts",
  "test/cli/smoke.test.ts",
  "test/cli/explicit-queues.test.ts",
  "test/cli/dev.test.ts",
  "test/pipeline/uncertain-late-write.test.ts",
  "test/pipeline/ordering.test.ts",
  "test/cli/cli-errors.test.ts",
  "test/local/sandbox/spot-sandbox.test.ts",
  "test/cli/any-directory.test.ts",
  "test/corpus/corpus.test.ts",
  "test/cli/usage-errors.test.ts",
  "test/lambda/spot/client.test.ts",
  // The cdk files run first, apart, on two workers: the one that waits on a process first.
  "test/infra/deployed-artifact.test.ts",
  "test/infra/stateful-lock.test.ts",
  "test/infra/stack.test.ts",
];
