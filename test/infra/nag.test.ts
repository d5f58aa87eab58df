import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

afterAll(cleanUp);

/** The warning a stack deployed with `alarmDestination: none` carries on every synth and deploy. */
const NO_ALARM_DESTINATION = "Annotation::spot-order-metadata:no-alarm-destination";

/** Synthesizes as `cdk synth` does (cdk-nag's AWS Solutions rules run as a validation plugin). */
function synthesize(settings: Record<string, unknown>) {
  const built = buildTestApp(settings);
  withoutCfnValidation(() => built.app.synth());
  const report = JSON.parse(readFileSync(join(built.outdir, "validation-report.json"), "utf8")) as {
    pluginReports: { violations: { ruleName: string; severity: string }[] }[];
  };
  const violations = report.pluginReports.flatMap((r) => r.violations);
  return { ...built, violations };
}

describe("cdk-nag AwsSolutionsChecks", () => {
  it.each([
    ["the defaults", {}],
    [
      "FIFO, existing secret by name, no ledger, an existing alarm topic",
      {
        fifo: true,
        spotTokenSecret: "prod/spot-token",
        ledger: false,
        alarmDestination: "arn:aws:sns:eu-west-1:123456789012:oncall",
      },
    ],
    [
      "an existing secret by partial ARN",
      {
        spotTokenSecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/spot-token",
      },
    ],
    [
      "producers in other accounts",
      { producerPrincipals: ["111111111111", "arn:aws:iam::222222222222:role/sender"] },
    ],
  ])("reports nothing unacknowledged for %s", (_name, settings) => {
    // Act
    const { violations } = synthesize({ alarmDestination: "oncall@example.com", ...settings });

    // Assess
    expect(violations).toStrictEqual([]);
  });

  it("warns, and only warns, when the alarms reach no one on purpose (alarmDestination: none)", () => {
    // Act
    const { violations } = synthesize({});

    // Assess
    expect(violations.map(({ ruleName, severity }) => ({ ruleName, severity }))).toStrictEqual([
      { ruleName: NO_ALARM_DESTINATION, severity: "warning" },
    ]);
  });

  it("acknowledges findings only with a reason a reviewer can check", () => {
    // Prepare
    const { app } = buildTestApp();

    // Act
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));

    // Assess
    expect(acknowledgements.map(([id]) => id)).toStrictEqual([
      "Annotation::AwsSolutions-SMG4",
      "Annotation::AwsSolutions-IAM5[Resource::*]",
    ]);
    for (const [, reason] of acknowledgements) expect(reason.length).toBeGreaterThan(60);
  });

  it("is live: a queue added without a DLQ or TLS fails the synth", () => {
    // Prepare
    const { app, stack } = buildTestApp();
    new Queue(stack, "Careless");

    // Act
    const act = () => withoutCfnValidation(() => app.synth());

    // Assess
    expect(act).toThrow(/AwsSolutions-SQS3[\s\S]*AwsSolutions-SQS4/);
  });
});
