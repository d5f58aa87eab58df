import { describe, expect, it } from "vitest";
import { resolveStackConfig } from "../../infra/config.ts";
import { problemsOf } from "./config-problems.ts";

describe("the producerPrincipals setting", () => {
  it("accepts account ids and role ARNs, with a path or in another partition", () => {
    // Prepare
    const principals = [
      "111111111111",
      "arn:aws:iam::222222222222:role/sender",
      "arn:aws:iam::333333333333:role/billing/eu/sender-1",
      "arn:aws-cn:iam::444444444444:role/sender",
    ];

    // Act
    const config = resolveStackConfig({ producerPrincipals: principals });

    // Assess
    expect(config.producerPrincipals).toStrictEqual(principals);
  });

  it("reads the comma-separated string a -c override gives", () => {
    // Act
    const config = resolveStackConfig({
      producerPrincipals: "111111111111, arn:aws:iam::222222222222:role/sender,",
    });

    // Assess
    expect(config.producerPrincipals).toStrictEqual([
      "111111111111",
      "arn:aws:iam::222222222222:role/sender",
    ]);
  });

  it("refuses wildcards, users, services, short ids and repeats, naming each", () => {
    // Prepare
    const principals = [
      "*",
      "arn:aws:iam::222222222222:user/bob",
      "sqs.amazonaws.com",
      "12345",
      "111111111111",
      "111111111111",
    ];

    // Act
    const problems = problemsOf({ producerPrincipals: principals });

    // Assess
    const rule = "must be a 12-digit account id or an IAM role ARN (arn:aws:iam::<account>:role/<name>)";
    expect(problems).toStrictEqual([
      `spotOrderMetadata.producerPrincipals.0: ${rule} (got "*")`,
      `spotOrderMetadata.producerPrincipals.1: ${rule} (got "arn:aws:iam::222222222222:user/bob")`,
      `spotOrderMetadata.producerPrincipals.2: ${rule} (got "sqs.amazonaws.com")`,
      `spotOrderMetadata.producerPrincipals.3: ${rule} (got "12345")`,
      `spotOrderMetadata.producerPrincipals: names a principal more than once (got ${JSON.stringify(principals)})`,
    ]);
  });

  it("refuses what is not a list", () => {
    // Act
    const problems = problemsOf({ producerPrincipals: 42 });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.producerPrincipals: must be a list of account ids and role ARNs (got 42)",
    ]);
  });
});
