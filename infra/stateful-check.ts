/**
 * The synth's check of what holds data against the lock (stateful-lock.ts), and what a refused synth
 * leaves behind: nothing `cdk deploy --app cdk.out` could deploy.
 *
 * - The CLI knows the account and region (credentials: every `cdk deploy`, `cdk diff`): the template
 *   is checked against that environment's record. With none, this is the stack's first deploy there,
 *   and the synth refuses until that is said outright (`-c acknowledgeFirstDeploy=<key>`): a stack
 *   deployed there by other means than `npm run deploy` is recorded first, never waved through.
 * - It does not (offline, CI): against the stack's design, the entry committed with the code.
 * - A replacement passes only when acknowledged by logical id (`-c acknowledgeReplacement=<id>,…`), for
 *   this synth alone.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError } from "../lib/lambda/errors.ts";
import {
  LOCK_FILE,
  lockKey,
  replacements,
  type StatefulLock,
  statefulResources,
  type TargetEnvironment,
  type TemplateResource,
} from "./stateful-lock.ts";
import { REPO_ROOT } from "./update-function.ts";

/** The context key that acknowledges replacements, by logical id (comma-separated). */
export const ACKNOWLEDGE_CONTEXT = "acknowledgeReplacement";

/** The context key that says a synth is for the stack's first deploy to an environment (its lock key). */
export const FIRST_DEPLOY_CONTEXT = "acknowledgeFirstDeploy";

const lockFileName = (file: string) => relative(REPO_ROOT, file);

/** A synth refused because it would replace or drop what holds data. */
export class ReplacementRefusedError extends ConfigError {
  override name = "ReplacementRefusedError";
  constructor(problems: string[], against: string) {
    super(problems);
    this.message = `refusing to replace what holds data, ${against}:\n  - ${problems.join("\n  - ")}`;
  }
}

/** A synth refused because nothing records what holds data in the environment it is for. */
export class FirstDeployUnacknowledgedError extends ConfigError {
  override name = "FirstDeployUnacknowledgedError";
  constructor(key: string, file: string) {
    const problems = [
      `if this is the stack's first deploy there, say so: -c ${FIRST_DEPLOY_CONTEXT}=${key} (npm run deploy then records it)`,
      `if it is deployed there already (by npx cdk deploy or a pipeline), record what is deployed first: npm run lock:record -- ${key} <its template> (docs/deploying.md, "What holds data stays")`,
    ];
    super(problems);
    this.message = `no record of what holds data in ${key} (${lockFileName(file)}), so a replacement could not be seen:\n  - ${problems.join("\n  - ")}`;
  }
}

export interface StatefulCheck {
  readonly stackName: string;
  readonly template: { Resources?: Record<string, TemplateResource> };
  readonly lock: StatefulLock;
  /** Where the template is for, when the CLI knows (`targetEnvironment`). */
  readonly environment: TargetEnvironment | undefined;
  /** Logical ids whose replacement is acknowledged (`acknowledgedIds`). */
  readonly acknowledged: readonly string[];
  /** The `acknowledgeFirstDeploy` context value, if any. */
  readonly firstDeploy?: unknown;
  readonly lockFile?: string;
}

/**
 * Refuses a template that would replace or drop a recorded resource that is not acknowledged, and a
 * template for an environment with no record unless its first deploy there is acknowledged.
 * @throws {ReplacementRefusedError} naming each such resource, what changes, and how to acknowledge it.
 * @throws {FirstDeployUnacknowledgedError} naming the environment and how to go on.
 */
export function checkStatefulResources(check: StatefulCheck): void {
  const file = check.lockFile ?? LOCK_FILE;
  const key = lockKey(check.stackName, check.environment);
  const record = check.lock[key];
  if (record === undefined) {
    // Offline, a stack with no design recorded (another namePrefix) has nothing deployed to compare.
    if (check.environment === undefined || check.firstDeploy === key) return;
    throw new FirstDeployUnacknowledgedError(key, file);
  }
  const unacknowledged = replacements(record, statefulResources(check.template)).filter(
    ({ logicalId }) => !check.acknowledged.includes(logicalId),
  );
  if (unacknowledged.length === 0) return;
  const ids = unacknowledged.map(({ logicalId }) => logicalId).join(",");
  const against =
    check.environment === undefined
      ? `as the stack's design records it (${key} in ${lockFileName(file)}; no AWS environment known to this synth)`
      : `as last deployed to ${key} (${lockFileName(file)})`;
  throw new ReplacementRefusedError(
    [
      ...unacknowledged.map(({ problem }) => problem),
      "the old resource is retained with its data, but the stack would go on with a new, empty one: drain the old one " +
        `first (docs/deploying.md, "What holds data stays"), then acknowledge with -c ${ACKNOWLEDGE_CONTEXT}=${ids}`,
    ],
    against,
  );
}

/** The acknowledged logical ids from the context value (`a,b` or a list). */
export function acknowledgedIds(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return items.map((item) => String(item).trim()).filter((item) => item !== "");
}

/**
 * Leaves a cloud assembly with nothing to deploy: its manifest and its stacks' templates go, so
 * `cdk deploy --app <dir>` cannot pick up a refused template (or an older one) from it.
 */
export function discardAssembly(directory: string): void {
  if (!existsSync(directory)) return;
  for (const name of readdirSync(directory)) {
    if (name === "manifest.json" || name.endsWith(".template.json")) rmSync(join(directory, name));
  }
}
