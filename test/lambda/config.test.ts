import { describe, expect, it } from "vitest";
import { envName, readConfig, toEnvironment } from "../../lib/lambda/config.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";

const minimal = {
  SPOT_META_DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/1/dlq",
  SPOT_META_SPOT_TOKEN_SECRET_ID: "spot",
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("fills defaults in from one place", () => {
    const config = readConfig(minimal);
    expect(config).toMatchObject({
      spotBaseUrl: "https://app.spotdx.com",
      concurrency: 5,
      maxReceiveCount: 5,
      logMetadata: false,
    });
  });

  it("reports every problem at once, by variable name", () => {
    expect(
      problemsOf({
        SPOT_META_CONCURENCY: "3",
        SPOT_META_CONCURRENCY: "0",
        SPOT_META_SPOT_BASE_URL: "http://spot.example.com",
      }),
    ).toStrictEqual([
      "SPOT_META_CONCURENCY: unknown setting (a typo?)",
      "SPOT_META_SPOT_TOKEN_SECRET_ID: is required (or SPOT_META_SPOT_TOKEN, locally only)",
      'SPOT_META_SPOT_BASE_URL: must be https (plain http only for localhost) (got "http://spot.example.com")',
      "SPOT_META_DLQ_URL: is required",
      'SPOT_META_CONCURRENCY: must be at least 1 (got "0")',
    ]);
  });

  it("refuses a plain token inside Lambda, and never shows it", () => {
    const problems = problemsOf({
      ...minimal,
      SPOT_META_SPOT_TOKEN: "tok-123",
      AWS_LAMBDA_FUNCTION_NAME: "f",
    });
    expect(problems).toStrictEqual([
      "SPOT_META_SPOT_TOKEN: not allowed in Lambda; use SPOT_META_SPOT_TOKEN_SECRET_ID",
    ]);
  });

  it("learns the pace from Spot by default, between 1/s and requestsPerSecond, or keeps it fixed", () => {
    expect(readConfig(minimal)).toMatchObject({
      adaptivePace: true,
      minRequestsPerSecond: 1,
      requestsPerSecond: 20,
    });
    expect(readConfig({ ...minimal, SPOT_META_ADAPTIVE_PACE: "false" }).adaptivePace).toBe(false);
    expect(
      problemsOf({ ...minimal, SPOT_META_REQUESTS_PER_SECOND: "4", SPOT_META_MIN_REQUESTS_PER_SECOND: "5" }),
    ).toStrictEqual(['SPOT_META_MIN_REQUESTS_PER_SECOND: must be at most requestsPerSecond (4) (got "5")']);
  });

  it("allows plain http for the local sandbox only", () => {
    expect(readConfig({ ...minimal, SPOT_META_SPOT_BASE_URL: "http://127.0.0.1:8080" }).spotBaseUrl).toBe(
      "http://127.0.0.1:8080",
    );
  });

  it("round-trips through the environment the stack writes", () => {
    const env = toEnvironment({
      dlqUrl: minimal.SPOT_META_DLQ_URL,
      spotTokenSecretId: "arn:secret",
      concurrency: 7,
      logMetadata: true,
    });
    expect(env[envName("concurrency")]).toBe("7");
    expect(readConfig(env)).toMatchObject({
      concurrency: 7,
      logMetadata: true,
      spotTokenSecretId: "arn:secret",
    });
  });
});
