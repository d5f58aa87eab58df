/**
 * What holds data — the queues, the ledger's table, the token's secret — as last deployed, and the
 * synth's refusal to replace it unasked.
 *
 * A synth cannot see what is deployed, so `npm run deploy` records, after each deploy, the
 * properties of these resources whose change makes CloudFormation replace them (a queue's name or
 * FIFO flag, a table's name or keys, a secret's name) in `infra/stateful-resources.lock.json`, one
 * entry per account, region and stack (`<account>/<region>/<stack>`). The entry whose account and
 * region are `*` is the stack's design, committed with the code: what a synth that knows no AWS
 * environment (offline, CI) checks against. The check itself is stateful-check.ts. Commit the lock file: a
 * replacement then also shows in review.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./update-function.ts";

export const LOCK_FILE = join(REPO_ROOT, "infra", "stateful-resources.lock.json");

/** For each resource type that holds data, the properties whose change replaces the resource. */
const REPLACING_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  "AWS::SQS::Queue": ["QueueName", "FifoQueue"],
  "AWS::DynamoDB::Table": ["TableName", "KeySchema"],
  "AWS::SecretsManager::Secret": ["Name"],
};

/** An account and region a stack is deployed to. */
export interface TargetEnvironment {
  readonly account: string;
  readonly region: string;
}

/** The environment part of the design's entry: any account, any region. */
export const DESIGN = "*/*";

/** The lock's key for a stack in an environment, or for its design when there is none. */
export function lockKey(stackName: string, environment?: TargetEnvironment): string {
  return `${environment === undefined ? DESIGN : `${environment.account}/${environment.region}`}/${stackName}`;
}

/**
 * The environment a synth's template is for: the account and region the CDK CLI resolved from the
 * credentials (`CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`), the ones `cdk deploy` deploys an
 * environment-agnostic stack to; undefined without credentials.
 */
export function targetEnvironment(env: NodeJS.ProcessEnv = process.env): TargetEnvironment | undefined {
  const account = env.CDK_DEFAULT_ACCOUNT;
  const region = env.CDK_DEFAULT_REGION;
  return account && region ? { account, region } : undefined;
}

/** An account id and region from a deployed resource's ARN (the stack's `QueueArn` output). */
export function environmentOfArn(arn: string): TargetEnvironment | undefined {
  const [, , , region, account] = arn.split(":");
  return region && account && /^\d{12}$/.test(account) ? { account, region } : undefined;
}

export interface LockedResource {
  type: string;
  /** The construct path, for people reading the lock or a refusal. */
  path?: string;
  /** The replacing properties, as the template has them (absent ones left out). */
  identity: Record<string, unknown>;
}

/** Per `<account>/<region>/<stack>` (the design: account and region `*`), its data-holding resources by logical id. */
export type StatefulLock = Record<string, Record<string, LockedResource>>;

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** The data-holding resources of a template, by logical id. */
export function statefulResources(template: {
  Resources?: Record<string, TemplateResource>;
}): Record<string, LockedResource> {
  const found: Record<string, LockedResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const properties = REPLACING_PROPERTIES[resource.Type];
    if (properties === undefined) continue;
    const identity: Record<string, unknown> = {};
    for (const property of properties) {
      const value = resource.Properties?.[property];
      if (value !== undefined) identity[property] = value;
    }
    const path = resource.Metadata?.["aws:cdk:path"];
    found[logicalId] = { type: resource.Type, ...(typeof path === "string" ? { path } : {}), identity };
  }
  return found;
}

/** Each locked resource the new template would replace or drop, with what changes, in words. */
export function replacements(
  locked: Record<string, LockedResource>,
  current: Record<string, LockedResource>,
): { logicalId: string; problem: string }[] {
  const found: { logicalId: string; problem: string }[] = [];
  for (const [logicalId, before] of Object.entries(locked)) {
    const name = `${logicalId} (${before.path ?? before.type})`;
    const after = current[logicalId];
    if (after === undefined || after.type !== before.type) {
      found.push({ logicalId, problem: `${name}: no longer in the stack, which would stop using it` });
      continue;
    }
    const keys = [...new Set([...Object.keys(before.identity), ...Object.keys(after.identity)])].sort();
    const changes = keys
      .map((key) => ({ key, from: shown(before.identity[key]), to: shown(after.identity[key]) }))
      .filter(({ from, to }) => from !== to)
      .map(({ key, from, to }) => `${key} ${from} → ${to}`);
    if (changes.length > 0) {
      found.push({ logicalId, problem: `${name}: ${changes.join(", ")} makes CloudFormation replace it` });
    }
  }
  return found;
}

const shown = (value: unknown): string => (value === undefined ? "(unset)" : JSON.stringify(value));

/**
 * The lock file's records. An entry keyed by a stack's name alone (the lock's first format, which
 * did not say where the stack was deployed) counts as that stack's design.
 */
export function readLock(file: string = LOCK_FILE): StatefulLock {
  if (!existsSync(file)) return {};
  const lock = JSON.parse(readFileSync(file, "utf8")) as StatefulLock;
  return Object.fromEntries(
    Object.entries(lock).map(([key, record]) => [key.includes("/") ? key : `${DESIGN}/${key}`, record]),
  );
}

/** Records a stack's data-holding resources under `key` (`lockKey`), keeping the other entries. */
export function recordLock(
  key: string,
  template: { Resources?: Record<string, TemplateResource> },
  file: string = LOCK_FILE,
): void {
  const lock = { ...readLock(file), [key]: statefulResources(template) };
  const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}
