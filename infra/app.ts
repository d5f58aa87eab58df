/**
 * The CDK app (`cdk.json`: `node infra/app.ts`): reads the configuration from context, builds the
 * stack, and checks it with cdk-nag's AWS Solutions rules as a validation plugin, so a synth with an
 * unacknowledged finding fails.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError } from "../lib/lambda/errors.ts";
import { readStackConfig } from "./context.ts";
import { SpotOrderMetadataStack } from "./stack.ts";
import {
  ACKNOWLEDGE_CONTEXT,
  acknowledgedIds,
  checkStatefulResources,
  LOCK_FILE,
  readLock,
} from "./stateful-lock.ts";

/**
 * Builds the app: one environment-agnostic stack (no lookups, no account needed to synthesize).
 * @throws {ConfigError} naming every configuration problem at once.
 */
export function buildApp(
  app: App = new App(),
  options: { entry?: string } = {},
): { app: App; stack: SpotOrderMetadataStack } {
  const config = readStackConfig(app.node);
  const stack = new SpotOrderMetadataStack(app, config.namePrefix, {
    config,
    ...options,
    description: "spot-order-metadata: SQS → Lambda → Spot order metadata updates, with DLQ and alarms",
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * Synthesizes the app, then refuses a template that would replace what holds data as last deployed
 * (`infra/stateful-lock.ts`).
 * @throws {ConfigError} naming each such resource and how to acknowledge it.
 */
export function synthesize(
  built: { app: App; stack: SpotOrderMetadataStack },
  lockFile: string = LOCK_FILE,
): void {
  const { app, stack } = built;
  const template = app.synth().getStackByName(stack.stackName).template;
  checkStatefulResources(
    stack.stackName,
    template,
    readLock(lockFile),
    acknowledgedIds(app.node.tryGetContext(ACKNOWLEDGE_CONTEXT)),
  );
}

if (import.meta.main) {
  try {
    synthesize(buildApp());
  } catch (error) {
    // A configuration mistake is the operator's to fix: its list of problems, not a stack trace.
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
