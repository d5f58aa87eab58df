/**
 * The stack's configuration: one zod schema with every default (config-schema.ts), read from CDK
 * context (the `spotOrderMetadata` object in `cdk.json`, single values overridable with
 * `-c spotOrderMetadata.<setting>=<value>`; see context.ts). Unknown keys are errors, every problem
 * is reported at once with the setting's name, and settings that contradict each other are
 * reported together.
 */
import type { z } from "zod";
import type { HandlerConfigInput } from "../lib/lambda/config.ts";
import { ConfigError } from "../lib/lambda/errors.ts";
import { minimumVisibilityTimeoutSeconds } from "../lib/lambda/queue-settings.ts";
import { valueAt } from "../lib/lambda/zod-issues.ts";
import { findConflicts } from "./config-conflicts.ts";
import {
  CONTEXT_KEY,
  DEFAULT_BATCHING_WINDOW_SECONDS,
  NO_ALARM_DESTINATION,
  type StackConfig,
  stackConfigSchema,
} from "./config-schema.ts";

export * from "./config-schema.ts";

/**
 * Validates a configuration object (as found in `cdk.json`) and fills in the defaults.
 * @throws {ConfigError} naming every setting that is wrong or unknown, and every conflict between
 *   settings that are valid on their own, all at once.
 */
export function resolveStackConfig(input: unknown): StackConfig {
  const raw = input ?? {};
  const parsed = stackConfigSchema.safeParse(raw);
  if (parsed.success) {
    const config = withDerivedDefaults(parsed.data);
    const conflicts = findConflicts(config);
    if (conflicts.length > 0) throw new ConfigError(conflicts.map((c) => c.problem));
    return config;
  }
  const problems = parsed.error.issues.flatMap((issue) => describe(issue, raw));
  // Still report the conflicts among the settings that are valid: without the invalid ones (their
  // defaults stand in), and only those conflicts that involve none of them.
  const invalid = invalidSettings(parsed.error.issues);
  const rest = omit(raw, invalid);
  const retry = rest === undefined ? undefined : stackConfigSchema.safeParse(rest);
  if (retry?.success) {
    for (const conflict of findConflicts(withDerivedDefaults(retry.data))) {
      if (!conflict.settings.some((key) => invalid.has(key))) problems.push(conflict.problem);
    }
  }
  throw new ConfigError(problems);
}

function withDerivedDefaults(parsed: z.output<typeof stackConfigSchema>): StackConfig {
  const { maxBatchingWindowSeconds, visibilityTimeoutSeconds, reservedConcurrency, ...rest } = parsed;
  const window = maxBatchingWindowSeconds ?? (rest.fifo ? 0 : DEFAULT_BATCHING_WINDOW_SECONDS);
  return {
    ...rest,
    handler: rest.handler as Partial<HandlerConfigInput>,
    maxBatchingWindowSeconds: window,
    // What the event source may run at once, and no more: other functions keep the rest.
    reservedConcurrency: reservedConcurrency ?? rest.maxConcurrency,
    visibilityTimeoutSeconds:
      visibilityTimeoutSeconds ?? minimumVisibilityTimeoutSeconds(rest.timeoutSeconds, window),
  };
}

/** The top-level settings an issue is about (an unknown top-level key is its own "setting"). */
function invalidSettings(issues: readonly z.core.$ZodIssue[]): Set<string> {
  const invalid = new Set<string>();
  for (const issue of issues) {
    const top = issue.path[0];
    if (top !== undefined) invalid.add(String(top));
    else if (issue.code === "unrecognized_keys") for (const key of issue.keys) invalid.add(key);
  }
  return invalid;
}

function omit(input: unknown, keys: Set<string>): Record<string, unknown> | undefined {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return undefined;
  return Object.fromEntries(Object.entries(input).filter(([key]) => !keys.has(key)));
}

/** Settings that were renamed, with what took their place: not a typo, so the message says so. */
const RENAMED: Readonly<Record<string, string>> = {
  alarmEmail: `renamed alarmDestination (an e-mail address, an SNS topic's ARN, or ${NO_ALARM_DESTINATION})`,
};

function describe(issue: z.core.$ZodIssue, input: unknown): string[] {
  const path = [CONTEXT_KEY, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    const top = issue.path.length === 0;
    return issue.keys.map(
      (key) => `${path}.${key}: ${(top ? RENAMED[key] : undefined) ?? "unknown setting (a typo?)"}`,
    );
  }
  // The token never belongs in the configuration; if someone puts it there, it is not echoed back.
  const got = issue.path.includes("spotToken") ? undefined : valueAt(input, issue.path);
  const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
  return [`${path}: ${issue.message}${shown}`];
}
