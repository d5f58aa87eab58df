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
  discardAssembly,
  FIRST_DEPLOY_CONTEXT,
} from "./stateful-check.ts";
import { LOCK_FILE, readLock, type TargetEnvironment, targetEnvironment } from "./stateful-lock.ts";

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
 * where it is going, or that goes where nothing is recorded (`infra/stateful-check.ts`). A refused
 * synth leaves no template behind.
 * @throws {ConfigError} naming each such resource and how to acknowledge it.
 */
export function synthesize(
  built: { app: App; stack: SpotOrderMetadataStack },
  options: { lockFile?: string; environment?: TargetEnvironment | undefined } = {},
): void {
  const { app, stack } = built;
  const lockFile = options.lockFile ?? LOCK_FILE;
  const assembly = app.synth();
  try {
    checkStatefulResources({
      stackName: stack.stackName,
      template: assembly.getStackByName(stack.stackName).template,
      lock: readLock(lockFile),
      environment: "environment" in options ? options.environment : targetEnvironment(),
      acknowledged: acknowledgedIds(app.node.tryGetContext(ACKNOWLEDGE_CONTEXT)),
      firstDeploy: app.node.tryGetContext(FIRST_DEPLOY_CONTEXT),
      lockFile,
    });
  } catch (error) {
    discardAssembly(assembly.directory);
    throw error;
  }
}

if (import.meta.main) {
  // Synthesized below or not at all: CDK's automatic synth at exit would write a refused app's assembly.
  const app = new App({ autoSynth: false });
  try {
    synthesize(buildApp(app));
  } catch (error) {
    // A configuration mistake is the operator's to fix: its list of problems, not a stack trace.
    if (!(error instanceof ConfigError)) throw error;
    // Nor may a template from an earlier synth stand in for the refused one.
    discardAssembly(app.outdir);
    console.error(error.message);
    process.exitCode = 1;
  }
}
