/** What the stack's configuration is rejected with, for the configuration tests. */
import { expect } from "vitest";
import { resolveStackConfig } from "../../infra/config.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";

/** The problems a configuration is rejected with (fails the test when it is accepted). */
export function problemsOf(input: unknown): readonly string[] {
  try {
    resolveStackConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  expect.unreachable("expected a ConfigError");
}
