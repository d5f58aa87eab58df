import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthesize } from "../../infra/app.ts";
import {
  ACKNOWLEDGE_CONTEXT,
  discardAssembly,
  FIRST_DEPLOY_CONTEXT,
  FirstDeployUnacknowledgedError,
  ReplacementRefusedError,
} from "../../infra/stateful-check.ts";
import {
  environmentOfArn,
  LOCK_FILE,
  lockKey,
  readLock,
  recordLock,
  replacements,
  statefulResources,
  type TargetEnvironment,
  targetEnvironment,
} from "../../infra/stateful-lock.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

const lockDir = mkdtempSync(join(tmpdir(), "spot-meta-lock-"));
afterAll(() => {
  cleanUp();
  rmSync(lockDir, { recursive: true, force: true });
});

const STACK = "spot-order-metadata";
const PRODUCTION: TargetEnvironment = { account: "111111111111", region: "eu-west-1" };
const STAGING: TargetEnvironment = { account: "222222222222", region: "eu-west-1" };
const FIFO = { fifo: true, maxBatchingWindowSeconds: 0 };

/** A lock file recording the stack deployed with each environment's settings (undefined: the design). */
function lockAfterDeploying(...deploys: [TargetEnvironment | undefined, Record<string, unknown>][]): string {
  const file = join(lockDir, `${Math.random().toString(36).slice(2)}.json`);
  for (const [environment, settings] of deploys) {
    const built = buildTestApp(settings);
    withoutCfnValidation(() => {
      const template = built.app.synth().getStackByName(built.stack.stackName).template;
      recordLock(lockKey(built.stack.stackName, environment), template, file);
    });
  }
  return file;
}

/** A synth with `settings` for `environment` against `lockFile`: what it refused, and what it left. */
function synth(
  settings: Record<string, unknown>,
  lockFile: string,
  environment: TargetEnvironment | undefined,
  context: Record<string, unknown> = {},
): { problems: readonly string[]; error?: ConfigError; outdir: string } {
  const built = buildTestApp(settings, { extraContext: context });
  try {
    withoutCfnValidation(() => synthesize(built, { lockFile, environment }));
    return { problems: [], outdir: built.outdir };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems, error, outdir: built.outdir };
    throw error;
  }
}

const refusals = (...args: Parameters<typeof synth>) => synth(...args).problems;

/** The acknowledgement a refusal names: the ids after `acknowledgeReplacement=`. */
const acknowledgementIn = (problems: readonly string[]) => (problems.at(-1) ?? "").split("=").at(-1) ?? "";

describe("what holds data is not replaced unasked, where it is deployed", () => {
  const deployed = lockAfterDeploying([PRODUCTION, {}]);

  it("records the queues, the ledger's table and the token's secret by account, region and stack", () => {
    // Act
    const lock = JSON.parse(readFileSync(deployed, "utf8"));

    // Assess
    expect(Object.keys(lock)).toStrictEqual([`111111111111/eu-west-1/${STACK}`]);
    const resources = Object.values(lock[`111111111111/eu-west-1/${STACK}`] as object) as {
      type: string;
      identity: object;
    }[];
    expect(resources.map(({ type }) => type).sort()).toStrictEqual([
      "AWS::DynamoDB::Table",
      "AWS::SQS::Queue",
      "AWS::SQS::Queue",
      "AWS::SecretsManager::Secret",
    ]);
    expect(resources.map(({ identity }) => identity)).toContainEqual({ QueueName: `${STACK}-dlq` });
  });

  it("synthesizes the deployed configuration, and changes that replace nothing", () => {
    expect(refusals({}, deployed, PRODUCTION)).toStrictEqual([]);
    expect(refusals({ batchSize: 5, alarms: { functionErrors: 3 } }, deployed, PRODUCTION)).toStrictEqual([]);
  });

  it("refuses to switch fifo on, naming both queues and how to acknowledge them", () => {
    // Act
    const { problems, error } = synth(FIFO, deployed, PRODUCTION);

    // Assess
    expect(error).toBeInstanceOf(ReplacementRefusedError);
    expect(error?.message).toMatch(
      /^refusing to replace what holds data, as last deployed to 111111111111\/eu-west-1\//,
    );
    expect(problems.slice(0, -1)).toStrictEqual([
      expect.stringMatching(
        /^QueuesDlq\w+ \(.*\): FifoQueue \(unset\) → true, QueueName ".*-dlq" → ".*-dlq.fifo"/,
      ),
      expect.stringMatching(/^QueuesSource\w+ \(.*\): FifoQueue \(unset\) → true, QueueName/),
    ]);
    expect(problems.at(-1)).toMatch(new RegExp(`-c ${ACKNOWLEDGE_CONTEXT}=\\w+,\\w+$`));
    const ids = acknowledgementIn(problems);
    expect(refusals(FIFO, deployed, PRODUCTION, { [ACKNOWLEDGE_CONTEXT]: ids })).toStrictEqual([]);
  });

  it("still refuses what is left unacknowledged", () => {
    const first = acknowledgementIn(refusals(FIFO, deployed, PRODUCTION)).split(",")[0] ?? "";
    const rest = refusals(FIFO, deployed, PRODUCTION, { [ACKNOWLEDGE_CONTEXT]: first });
    expect(rest.some((problem) => problem.startsWith(first))).toBe(false);
    expect(rest.length).toBeGreaterThan(1);
  });

  it("refuses to drop the ledger's table from the stack", () => {
    expect(refusals({ ledger: false }, deployed, PRODUCTION)[0]).toMatch(
      /^LedgerTable\w+ \(.*\): no longer in the stack/,
    );
  });

  it("refuses again after a replacement deployed without a record (npx cdk deploy): the record still holds the old", () => {
    // Prepare: the acknowledged FIFO switch went out with npx cdk deploy, which records nothing.
    const ids = acknowledgementIn(refusals(FIFO, deployed, PRODUCTION));
    expect(refusals(FIFO, deployed, PRODUCTION, { [ACKNOWLEDGE_CONTEXT]: ids })).toStrictEqual([]);

    // Act: the next synth, with no acknowledgement.
    const next = refusals(FIFO, deployed, PRODUCTION);

    // Assess
    expect(acknowledgementIn(next)).toBe(ids);
  });
});

describe("each environment has its own record", () => {
  // Staging went FIFO (acknowledged there, and recorded); production did not.
  const lock = lockAfterDeploying([STAGING, FIFO], [PRODUCTION, {}]);

  it("does not let a change recorded in staging through in production", () => {
    expect(refusals(FIFO, lock, STAGING)).toStrictEqual([]);
    expect(refusals(FIFO, lock, PRODUCTION)).toHaveLength(3);
  });

  it("refuses a first deploy to an environment with no record until it is said outright, for that environment", () => {
    // Prepare
    const elsewhere: TargetEnvironment = { account: "333333333333", region: "us-east-1" };
    const key = `333333333333/us-east-1/${STACK}`;

    // Act
    const { problems, error } = synth({}, lock, elsewhere);

    // Assess
    expect(error).toBeInstanceOf(FirstDeployUnacknowledgedError);
    expect(error?.message).toMatch(
      /^no record of what holds data in 333333333333\/us-east-1\/spot-order-metadata/,
    );
    expect(problems[0]).toContain(`-c ${FIRST_DEPLOY_CONTEXT}=${key}`);
    expect(problems[1]).toContain(`npm run lock:record -- ${key} <its template>`);
    expect(refusals({}, lock, elsewhere, { [FIRST_DEPLOY_CONTEXT]: key })).toStrictEqual([]);
    // Another environment's acknowledgement is not this one's.
    expect(
      refusals({}, lock, elsewhere, { [FIRST_DEPLOY_CONTEXT]: `${STAGING.account}/eu-west-1/${STACK}` }),
    ).toHaveLength(2);
  });

  it("does not take a first deploy's acknowledgement for an environment that has a record", () => {
    const key = lockKey(STACK, PRODUCTION);
    expect(refusals(FIFO, lock, PRODUCTION, { [FIRST_DEPLOY_CONTEXT]: key })).toHaveLength(3);
  });
});

describe("a synth that knows no AWS environment (offline, CI)", () => {
  const designed = lockAfterDeploying([undefined, {}], [STAGING, FIFO]);

  it("checks against the stack's design, not against an environment's record", () => {
    // Act
    const { problems, error } = synth(FIFO, designed, undefined);

    // Assess
    expect(error?.message).toMatch(
      /^refusing to replace what holds data, as the stack's design records it \(\*\/\*\/spot-order-metadata/,
    );
    expect(problems).toHaveLength(3);
    expect(refusals({}, designed, undefined)).toStrictEqual([]);
  });

  it("lets a stack with no design recorded go: nothing of it can be deployed from here", () => {
    expect(refusals({ namePrefix: "spot-meta-staging" }, designed, undefined)).toStrictEqual([]);
  });

  it("finds the committed design holds the committed configuration, and refuses fifo on a clean clone", () => {
    expect(Object.keys(readLock(LOCK_FILE))).toContain(`*/*/${STACK}`);
    expect(refusals({}, LOCK_FILE, undefined)).toStrictEqual([]);
    expect(acknowledgementIn(refusals({ fifo: true }, LOCK_FILE, undefined))).toMatch(
      /^QueuesDlq\w+,QueuesSource\w+$/,
    );
  });

  it("reads a record keyed by the stack's name alone (the lock's first format) as its design", () => {
    // Prepare
    const legacy = join(lockDir, "legacy.json");
    writeFileSync(
      legacy,
      JSON.stringify({ [STACK]: JSON.parse(readFileSync(designed, "utf8"))[`*/*/${STACK}`] }),
    );

    // Act
    const lock = readLock(legacy);

    // Assess
    expect(Object.keys(lock)).toStrictEqual([`*/*/${STACK}`]);
    expect(refusals(FIFO, legacy, undefined)).toHaveLength(3);
  });
});

describe("a refused synth", () => {
  const deployed = lockAfterDeploying([PRODUCTION, {}]);

  it.each([
    ["a replacement", FIFO, PRODUCTION],
    ["a first deploy not acknowledged", {}, STAGING],
  ])("leaves no template or manifest to deploy: %s", (_what, settings, environment) => {
    // Act
    const { problems, outdir } = synth(settings, deployed, environment);

    // Assess
    expect(problems.length).toBeGreaterThan(0);
    expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
    expect(existsSync(join(outdir, `${STACK}.template.json`))).toBe(false);
  });

  it("leaves the template and manifest of a synth that passes", () => {
    const { outdir } = synth({}, deployed, PRODUCTION);
    expect(existsSync(join(outdir, "manifest.json"))).toBe(true);
    expect(existsSync(join(outdir, `${STACK}.template.json`))).toBe(true);
  });

  it("takes an earlier synth's template away too, when the app is refused before it synthesizes", () => {
    // Prepare
    const outdir = join(lockDir, "cdk.out");
    mkdirSync(outdir);
    for (const name of ["manifest.json", `${STACK}.template.json`, "tree.json"])
      writeFileSync(join(outdir, name), "{}");

    // Act
    discardAssembly(outdir);

    // Assess
    expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
    expect(existsSync(join(outdir, `${STACK}.template.json`))).toBe(false);
    expect(existsSync(join(outdir, "tree.json"))).toBe(true);
  });
});

describe("where a synth and a deploy are for", () => {
  it("takes the account and region the CDK CLI resolved, and none without both", () => {
    expect(
      targetEnvironment({ CDK_DEFAULT_ACCOUNT: "111111111111", CDK_DEFAULT_REGION: "eu-west-1" }),
    ).toStrictEqual(PRODUCTION);
    expect(targetEnvironment({ CDK_DEFAULT_REGION: "eu-west-1" })).toBeUndefined();
  });

  it("reads a deploy's account and region from its QueueArn output", () => {
    expect(environmentOfArn("arn:aws:sqs:eu-west-1:111111111111:spot-order-metadata")).toStrictEqual(
      PRODUCTION,
    );
    expect(environmentOfArn("not-an-arn")).toBeUndefined();
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
