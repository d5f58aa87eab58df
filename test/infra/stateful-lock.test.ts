import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthesize } from "../../infra/app.ts";
import {
  ACKNOWLEDGE_CONTEXT,
  recordLock,
  replacements,
  statefulResources,
} from "../../infra/stateful-lock.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

const lockDir = mkdtempSync(join(tmpdir(), "spot-meta-lock-"));
afterAll(() => {
  cleanUp();
  rmSync(lockDir, { recursive: true, force: true });
});

/** A lock file recording the stack deployed with `deployed` settings. */
function lockAfterDeploying(deployed: Record<string, unknown>): string {
  const built = buildTestApp(deployed);
  const file = join(lockDir, `${Math.random().toString(36).slice(2)}.json`);
  withoutCfnValidation(() => {
    const template = built.app.synth().getStackByName(built.stack.stackName).template;
    recordLock(built.stack.stackName, template, file);
  });
  return file;
}

/** The problems a synth with `settings` reports against `lockFile`, or [] when it synthesizes. */
function refusals(
  settings: Record<string, unknown>,
  lockFile: string,
  acknowledge?: string,
): readonly string[] {
  const built = buildTestApp(settings, {
    extraContext: acknowledge === undefined ? {} : { [ACKNOWLEDGE_CONTEXT]: acknowledge },
  });
  try {
    withoutCfnValidation(() => synthesize(built, lockFile));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("what holds data is not replaced unasked", () => {
  const deployed = lockAfterDeploying({});
  const lock = JSON.parse(readFileSync(deployed, "utf8"));

  it("records the queues, the ledger's table and the token's secret with what would replace them", () => {
    const resources = Object.values(
      lock["spot-order-metadata"] as Record<string, { type: string; identity: object }>,
    );
    expect(resources.map(({ type }) => type).sort()).toStrictEqual([
      "AWS::DynamoDB::Table",
      "AWS::SQS::Queue",
      "AWS::SQS::Queue",
      "AWS::SecretsManager::Secret",
    ]);
    const queues = resources.filter(({ type }) => type === "AWS::SQS::Queue").map(({ identity }) => identity);
    expect(queues).toContainEqual({ QueueName: "spot-order-metadata-dlq" });
  });

  it("synthesizes the deployed configuration, and changes that replace nothing", () => {
    expect(refusals({}, deployed)).toStrictEqual([]);
    expect(refusals({ batchSize: 5, alarms: { functionErrors: 3 } }, deployed)).toStrictEqual([]);
  });

  it("refuses to switch fifo on, naming both queues and how to acknowledge them", () => {
    const problems = refusals({ fifo: true, maxBatchingWindowSeconds: 0 }, deployed);
    expect(problems.slice(0, -1)).toStrictEqual([
      expect.stringMatching(
        /^QueuesDlq\w+ \(.*\): FifoQueue \(unset\) → true, QueueName ".*-dlq" → ".*-dlq.fifo"/,
      ),
      expect.stringMatching(/^QueuesSource\w+ \(.*\): FifoQueue \(unset\) → true, QueueName/),
    ]);
    const acknowledgement = problems.at(-1) ?? "";
    expect(acknowledgement).toMatch(new RegExp(`-c ${ACKNOWLEDGE_CONTEXT}=\\w+,\\w+$`));
    const ids = acknowledgement.split("=").at(-1) ?? "";
    expect(refusals({ fifo: true, maxBatchingWindowSeconds: 0 }, deployed, ids)).toStrictEqual([]);
  });

  it("still refuses what is left unacknowledged", () => {
    const problems = refusals({ fifo: true, maxBatchingWindowSeconds: 0 }, deployed);
    const first = (problems.at(-1) ?? "").split("=").at(-1)?.split(",")[0] ?? "";
    const rest = refusals({ fifo: true, maxBatchingWindowSeconds: 0 }, deployed, first);
    expect(rest.some((problem) => problem.startsWith(first))).toBe(false);
    expect(rest.length).toBeGreaterThan(1);
  });

  it("refuses to drop the ledger's table from the stack", () => {
    const problems = refusals({ ledger: false }, deployed);
    expect(problems[0]).toMatch(/^LedgerTable\w+ \(.*\): no longer in the stack/);
  });

  it("lets a stack with another name (another copy) go: nothing of it is deployed yet", () => {
    expect(refusals({ namePrefix: "spot-meta-staging" }, deployed)).toStrictEqual([]);
  });
});

describe("replacements", () => {
  const table = {
    type: "AWS::DynamoDB::Table",
    identity: { TableName: "t", KeySchema: [{ AttributeName: "pk" }] },
  };

  it("names each replacing property that changed, and nothing when none did", () => {
    expect(replacements({ T: table }, { T: table })).toStrictEqual([]);
    expect(
      replacements({ T: table }, { T: { ...table, identity: { ...table.identity, TableName: "u" } } }),
    ).toStrictEqual([
      {
        logicalId: "T",
        problem: 'T (AWS::DynamoDB::Table): TableName "t" → "u" makes CloudFormation replace it',
      },
    ]);
  });

  it("counts a property that appears or disappears as a change", () => {
    const unnamed = { ...table, identity: { KeySchema: table.identity.KeySchema } };
    expect(replacements({ T: table }, { T: unnamed })).toHaveLength(1);
  });

  it("ignores resources that hold no data", () => {
    expect(
      statefulResources({ Resources: { F: { Type: "AWS::Lambda::Function", Properties: {} } } }),
    ).toStrictEqual({});
  });
});
