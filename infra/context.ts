/**
 * Reads the stack's configuration from CDK context: the `spotOrderMetadata` object in `cdk.json`
 * (or a JSON string given with `-c spotOrderMetadata='{…}'`, which replaces it), then single
 * settings given as `-c spotOrderMetadata.<setting>=<value>` (dots reach nested settings, e.g.
 * `spotOrderMetadata.alarms.oldestMessageAgeSeconds=1800`).
 */
import type { Node } from "constructs";
import { ConfigError } from "../lib/lambda/errors.ts";
import { CONTEXT_KEY, NO_ALARM_DESTINATION, resolveStackConfig, type StackConfig } from "./config.ts";

/** Why a stack with no `alarmDestination` is refused, and how to set one. */
export const NO_ALARM_DESTINATION_PROBLEM = `${CONTEXT_KEY}.alarmDestination: not set, so the alarms would reach no one. Set it to an e-mail address (-c ${CONTEXT_KEY}.alarmDestination=oncall@example.com), to an existing SNS topic's ARN, or to ${NO_ALARM_DESTINATION} to deploy with no one told (docs/deploying.md, "Who the alarms reach")`;

/**
 * Reads and validates the configuration of a stack to deploy from a construct's context (usually
 * the app's): besides what `resolveStackConfig` checks, the alarms must reach someone, or the
 * configuration must say outright that they reach no one.
 * @throws {ConfigError} naming every setting that is wrong, unknown, in conflict with another, or missing.
 */
export function readStackConfig(node: Node): StackConfig {
  const input = contextInput(node.getAllContext());
  const missing = input.alarmDestination === undefined ? [NO_ALARM_DESTINATION_PROBLEM] : [];
  let config: StackConfig;
  try {
    config = resolveStackConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...error.problems, ...missing]);
    throw error;
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return config;
}

/**
 * Merges the configuration object and the single-setting overrides found in a context.
 * @throws {ConfigError} when the configuration object is not an object (or JSON for one).
 */
export function contextInput(context: Record<string, unknown>): Record<string, unknown> {
  const base = asObject(context[CONTEXT_KEY]);
  const merged: Record<string, unknown> = structuredClone(base);
  const prefix = `${CONTEXT_KEY}.`;
  for (const [key, value] of Object.entries(context)) {
    if (!key.startsWith(prefix)) continue;
    setPath(merged, key.slice(prefix.length).split("."), value);
  }
  return merged;
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigError([`${CONTEXT_KEY}: must be an object (or its JSON)`]);
    }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError([`${CONTEXT_KEY}: must be an object (or its JSON)`]);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = target[head];
  const next: Record<string, unknown> =
    child !== null && typeof child === "object" && !Array.isArray(child)
      ? (child as Record<string, unknown>)
      : {};
  target[head] = next;
  setPath(next, rest, value);
}
