/**
 * Test support for the stack: a CDK app with the project's own `cdk.json` context (feature flags and
 * the committed settings included), bundling skipped and the handler stood in by a fixture,
 * synthesized into a temporary directory that `cleanUp` removes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp } from "../../infra/app.ts";
import type { SpotOrderMetadataStack } from "../../infra/stack.ts";
import { REPO_ROOT } from "../../infra/update-function.ts";

const FIXTURE_ENTRY = join(import.meta.dirname, "fixtures", "handler.ts");

const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as {
  context: Record<string, unknown>;
};

const outdirs: string[] = [];

export interface TestApp {
  app: App;
  stack: SpotOrderMetadataStack;
  outdir: string;
}

/**
 * The tests' settings under their overrides: `cdk.json` commits none (so that a deploy from a clone
 * must name who the alarms reach), and a stack under test needs a destination.
 */
export const COMMITTED_SETTINGS: Record<string, unknown> = {
  ...(cdkJson.context.spotOrderMetadata as Record<string, unknown> | undefined),
  alarmDestination: "none",
};

/**
 * Builds the app as `cdk synth` would, with `settings` over the committed `spotOrderMetadata`
 * settings (a setting given as `undefined` takes a committed one away).
 * @param extraContext more context, e.g. `-c` style `spotOrderMetadata.<key>` overrides.
 */
export function buildTestApp(
  settings: Record<string, unknown> = {},
  options: { extraContext?: Record<string, unknown>; bundle?: boolean; entry?: string } = {},
): TestApp {
  const outdir = mkdtempSync(join(tmpdir(), "spot-meta-cdk-"));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      ...cdkJson.context,
      spotOrderMetadata: withoutUndefined({ ...COMMITTED_SETTINGS, ...settings }),
      ...(options.bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
      ...options.extraContext,
    },
  });
  const { stack } = buildApp(app, { entry: options.entry ?? FIXTURE_ENTRY });
  return { app, stack, outdir };
}

function withoutUndefined(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** The stack's template (synthesizing skips CDK's CloudFormation validation: the CI synth runs it). */
export function templateOf(settings: Record<string, unknown> = {}): Template {
  const { stack } = buildTestApp(settings);
  return withoutCfnValidation(() => Template.fromStack(stack));
}

/** Runs `fn` with CDK's built-in CloudFormation validation (a ~2.5 s wasm) switched off. */
export function withoutCfnValidation<T>(fn: () => T): T {
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = "false";
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  }
}

/** Removes every output directory made so far. */
export function cleanUp(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
