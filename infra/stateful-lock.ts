/**
 * What holds data — the queues, the ledger's table, the token's secret — as last deployed, and the
 * synth's refusal to replace it unasked.
 *
 * A synth cannot see what is deployed, so `npm run deploy` records, after each deploy, the
 * properties of these resources whose change makes CloudFormation replace them (a queue's name or
 * FIFO flag, a table's name or keys, a secret's name) in `infra/stateful-resources.lock.json`, one
 * entry per stack. Every synth compares its template with the entry for its stack and refuses a
 * change that would replace or drop one of them (RETAIN keeps the old resource, but the stack would
 * go on without its messages or its ledger) unless each is acknowledged by logical id with
 * `-c acknowledgeReplacement=<id>,<id>`. Commit the lock file: a replacement then also shows in review.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError } from "../lib/lambda/errors.ts";
import { REPO_ROOT } from "./update-function.ts";

export const LOCK_FILE = join(REPO_ROOT, "infra", "stateful-resources.lock.json");

/** The context key that acknowledges replacements, by logical id (comma-separated). */
export const ACKNOWLEDGE_CONTEXT = "acknowledgeReplacement";

/** For each resource type that holds data, the properties whose change replaces the resource. */
const REPLACING_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  "AWS::SQS::Queue": ["QueueName", "FifoQueue"],
  "AWS::DynamoDB::Table": ["TableName", "KeySchema"],
  "AWS::SecretsManager::Secret": ["Name"],
};

export interface LockedResource {
  type: string;
  /** The construct path, for people reading the lock or a refusal. */
  path?: string;
  /** The replacing properties, as the template has them (absent ones left out). */
  identity: Record<string, unknown>;
}

/** Per stack name, its data-holding resources by logical id. */
export type StatefulLock = Record<string, Record<string, LockedResource>>;

interface TemplateResource {
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

/** A synth refused because it would replace or drop what holds data. */
export class ReplacementRefusedError extends ConfigError {
  override name = "ReplacementRefusedError";
  constructor(problems: string[]) {
    super(problems);
    this.message = `refusing to replace what holds data, as last deployed (${relative(REPO_ROOT, LOCK_FILE)}):\n  - ${problems.join("\n  - ")}`;
  }
}

/**
 * Refuses a template that would replace or drop a locked resource that is not acknowledged.
 * @throws {ReplacementRefusedError} naming each such resource, what changes, and how to acknowledge it.
 */
export function checkStatefulResources(
  stackName: string,
  template: { Resources?: Record<string, TemplateResource> },
  lock: StatefulLock,
  acknowledged: readonly string[],
): void {
  const locked = lock[stackName];
  if (locked === undefined) return;
  const unacknowledged = replacements(locked, statefulResources(template)).filter(
    ({ logicalId }) => !acknowledged.includes(logicalId),
  );
  if (unacknowledged.length === 0) return;
  const ids = unacknowledged.map(({ logicalId }) => logicalId).join(",");
  throw new ReplacementRefusedError([
    ...unacknowledged.map(({ problem }) => problem),
    "the old resource is retained with its data, but the stack would go on with a new, empty one: drain the old one " +
      `first (docs/deploying.md, "What holds data stays"), then acknowledge with -c ${ACKNOWLEDGE_CONTEXT}=${ids}`,
  ]);
}

/** The acknowledged logical ids from the context value (`a,b` or a list). */
export function acknowledgedIds(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return items.map((item) => String(item).trim()).filter((item) => item !== "");
}

export function readLock(file: string = LOCK_FILE): StatefulLock {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")) as StatefulLock;
}

/** Records a deployed stack's data-holding resources, keeping the other stacks' entries. */
export function recordLock(
  stackName: string,
  template: { Resources?: Record<string, TemplateResource> },
  file: string = LOCK_FILE,
): void {
  const lock = { ...readLock(file), [stackName]: statefulResources(template) };
  const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}
