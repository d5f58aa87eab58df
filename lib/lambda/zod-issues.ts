/**
 * Reading zod's issues without reading their text: what the input held where the issue points.
 * zod reports a missing field as a wrong type ("expected string, received undefined"); the value
 * itself tells them apart.
 */
import type * as z from "zod";

/** The input's value at an issue's path (undefined when any step is missing). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Whether the issue is a missing value rather than one of the wrong kind. */
export function isMissing(issue: z.core.$ZodIssue, input: unknown): boolean {
  return issue.code === "invalid_type" && valueAt(input, issue.path) === undefined;
}
