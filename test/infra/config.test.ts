import { describe, expect, it } from "vitest";
import { alarmDestinationOf, resolveStackConfig, toQueueSettings } from "../../infra/config.ts";
import { contextInput } from "../../infra/context.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";
import { DEFAULT_QUEUE_SETTINGS } from "../../lib/lambda/queue-settings.ts";
import { problemsOf } from "./config-problems.ts";

describe("resolveStackConfig", () => {
  it("fills in every default, with the derived ones computed from the settings", () => {
    // Act
    const config = resolveStackConfig({});

    // Assess
    expect(config).toStrictEqual({
      namePrefix: "spot-order-metadata",
      memorySizeMb: 256,
      timeoutSeconds: 60,
      batchSize: 10,
      maxBatchingWindowSeconds: 5,
      maxConcurrency: 2,
      reservedConcurrency: 2,
      handlerConcurrency: 5,
      requestsPerSecond: 20,
      maxReceiveCount: DEFAULT_QUEUE_SETTINGS.maxReceiveCount,
      visibilityTimeoutSeconds: 6 * 60 + 5,
      queueRetentionSeconds: DEFAULT_QUEUE_SETTINGS.retentionSeconds,
      logRetentionDays: 30,
      fifo: false,
      ledger: true,
      tracing: true,
      ledgerTtlDays: 90,
      spotBaseUrl: "https://app.spotdx.com",
      metricsNamespace: "SpotOrderMetadata",
      producerPrincipals: [],
      tags: { service: "spot-order-metadata" },
      alarms: {
        oldestMessageAgeSeconds: 3600,
        functionErrors: 1,
        functionThrottles: 1,
        systemicFailures: 1,
        drift: 1,
        dlqOldestMessageAgeSeconds: 259_200,
      },
      handler: {},
    });
  });

  it("gives the queues the same settings the local stack uses by default", () => {
    // Act
    const settings = toQueueSettings(resolveStackConfig({}));

    // Assess
    expect(settings).toStrictEqual(DEFAULT_QUEUE_SETTINGS);
  });

  it("accepts the string forms -c gives numbers and flags", () => {
    // Act
    const config = resolveStackConfig({ memorySizeMb: "1024", fifo: "true", ledger: "false" });

    // Assess
    expect([config.memorySizeMb, config.fifo, config.ledger]).toStrictEqual([1024, true, false]);
  });

  it("has no batching window for FIFO queues by default, so the visibility timeout is 6 × timeout", () => {
    // Act
    const config = resolveStackConfig({ fifo: true, timeoutSeconds: 30 });

    // Assess
    expect([config.maxBatchingWindowSeconds, config.visibilityTimeoutSeconds]).toStrictEqual([0, 180]);
  });

  it("rejects unknown keys, at the top and nested, naming each", () => {
    // Act
    const problems = problemsOf({ memorySize: 1024, alarms: { dlqMesages: 1 } });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.alarms.dlqMesages: unknown setting (a typo?)",
      "spotOrderMetadata.memorySize: unknown setting (a typo?)",
    ]);
  });

  it("reports every invalid value at once, with what it got", () => {
    // Act
    const problems = problemsOf({
      batchSize: 11,
      maxConcurrency: 1,
      maxReceiveCount: 3,
      logRetentionDays: 31,
      alarmDestination: "not-an-address",
      spotBaseUrl: "http://app.spotdx.com",
      namePrefix: "has spaces",
    });

    // Assess
    expect(problems.map((p) => p.split(":")[0])).toStrictEqual([
      "spotOrderMetadata.namePrefix",
      "spotOrderMetadata.batchSize",
      "spotOrderMetadata.maxConcurrency",
      "spotOrderMetadata.maxReceiveCount",
      "spotOrderMetadata.logRetentionDays",
      "spotOrderMetadata.alarmDestination",
      "spotOrderMetadata.spotBaseUrl",
    ]);
    expect(problems[1]).toBe("spotOrderMetadata.batchSize: Too big: expected number to be <=10 (got 11)");
  });

  it("reports conflicting settings together", () => {
    // Act
    const problems = problemsOf({
      fifo: true,
      maxBatchingWindowSeconds: 5,
      timeoutSeconds: 120,
      visibilityTimeoutSeconds: 600,
      queueRetentionSeconds: 1_209_600,
    });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.visibilityTimeoutSeconds: must be at least 6 × timeoutSeconds + maxBatchingWindowSeconds = 725 (got 600)",
      "spotOrderMetadata.maxBatchingWindowSeconds: must be 0 with fifo (Lambda has no batching window for FIFO queues) (got 5)",
      "spotOrderMetadata.queueRetentionSeconds: must be shorter than the DLQ's 1209600 s, so a dead-lettered message (which keeps its first enqueue time) does not expire in the DLQ at once (got 1209600)",
    ]);
  });

  it("reports conflicts among valid settings alongside invalid ones, but none that involve an invalid one", () => {
    // Act
    const problems = problemsOf({
      batchSize: 0,
      timeoutSeconds: "sixty",
      visibilityTimeoutSeconds: 10,
      queueRetentionSeconds: 600,
      alarms: { oldestMessageAgeSeconds: 900 },
    });

    // Assess: the visibility check needs timeoutSeconds, which is invalid, so it is left out.
    expect(problems).toStrictEqual([
      'spotOrderMetadata.timeoutSeconds: must be a whole number (got "sixty")',
      "spotOrderMetadata.batchSize: Too small: expected number to be >=1 (got 0)",
      "spotOrderMetadata.alarms.oldestMessageAgeSeconds: must be shorter than queueRetentionSeconds (600), or messages expire before it fires (got 900)",
      "spotOrderMetadata.queueRetentionSeconds: must outlast the handler's backoff over all of a message's attempts (3630 s), or messages expire before they reach the DLQ (got 600)",
    ]);
  });

  it("checks the function's timeout against the handler's deadline margin and request timeout", () => {
    // Act
    const problems = problemsOf({ timeoutSeconds: 20, handler: { requestTimeoutMs: 15_000 } });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.timeoutSeconds: must be more than the handler's deadlineMarginMs + requestTimeoutMs = 23000 ms, or no call to Spot ever starts (got 20 s)",
    ]);
  });

  it("refuses a source queue that would let messages expire before their attempts are over", () => {
    // Act: 8 attempts, backing off from an hour up to 12 h, in a queue that keeps messages a day.
    const problems = problemsOf({
      queueRetentionSeconds: 86_400,
      handler: { backoffBaseSeconds: 3_600, backoffMaxSeconds: 43_200 },
    });

    // Assess
    expect(problems).toStrictEqual([
      expect.stringMatching(
        /^spotOrderMetadata.queueRetentionSeconds: must outlast the handler's backoff over all of a message's attempts \(\d+ s\)/,
      ),
    ]);
  });

  it("refuses a ledger that forgets an order before its messages could be replayed", () => {
    const problems = problemsOf({ ledgerTtlDays: 7 });
    expect(problems).toStrictEqual([
      "spotOrderMetadata.ledgerTtlDays: must cover the DLQ's retention and the source queue's (18 days), or a replayed older update is no longer recognised as stale (got 7)",
    ]);
  });

  it("refuses a ledger lease shorter than the function's timeout plus the late-write window", () => {
    // Act
    const problems = problemsOf({ timeoutSeconds: 300, handler: { ledgerLeaseSeconds: 200 } });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.handler.ledgerLeaseSeconds: must be at least timeoutSeconds + the handler's lateWriteWindowSeconds = 330 (got 200), so that no write of an invocation lands after its lease",
    ]);
  });

  it("passes other handler settings through, validated by the handler's own schema", () => {
    // Act
    const config = resolveStackConfig({ handler: { logLevel: "debug", backoffMaxSeconds: 1800 } });
    const problems = problemsOf({ handler: { logLevel: "loud" } });

    // Assess
    expect(config.handler).toStrictEqual({ logLevel: "debug", backoffMaxSeconds: 1800 });
    // (the wording after the variable's name is the handler's own)
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^spotOrderMetadata\.handler: the handler would reject its environment: SPOT_META_LOG_LEVEL: .+ \(got "loud"\)$/,
    );
  });

  it("refuses handler settings the stack owns, the token above all, without echoing the value", () => {
    // Act
    const problems = problemsOf({ handler: { spotToken: "fake-token-for-tests", concurrency: 3, nope: 1 } });

    // Assess
    expect(problems).toStrictEqual([
      "spotOrderMetadata.handler.spotToken: set by the stack; not allowed here",
      "spotOrderMetadata.handler.concurrency: set by the stack; not allowed here",
      "spotOrderMetadata.handler.nope: unknown handler setting (a typo?)",
    ]);
    expect(problems.join("\n")).not.toContain("fake-token-for-tests");
  });
});

describe("reservedConcurrency", () => {
  it("reserves what the event source may run at once, unless told otherwise", () => {
    expect(resolveStackConfig({ maxConcurrency: 8 }).reservedConcurrency).toBe(8);
    expect(resolveStackConfig({ maxConcurrency: 8, reservedConcurrency: "12" }).reservedConcurrency).toBe(12);
    expect(resolveStackConfig({ reservedConcurrency: "none" }).reservedConcurrency).toBe("none");
  });

  it("refuses less than the event source's maxConcurrency, and what is neither a number nor none", () => {
    expect(problemsOf({ maxConcurrency: 8, reservedConcurrency: 4 })).toStrictEqual([
      "spotOrderMetadata.reservedConcurrency: must be at least maxConcurrency (8), or Lambda throttles the invocations the event source starts (got 4)",
    ]);
    expect(problemsOf({ reservedConcurrency: "all" })).toStrictEqual([
      'spotOrderMetadata.reservedConcurrency: must be a whole number from 1 to 1000, or none (got "all")',
    ]);
  });
});

describe("alarmDestination", () => {
  it.each([
    ["an e-mail address", "oncall@example.com", { kind: "email", address: "oncall@example.com" }],
    [
      "a standard SNS topic's ARN",
      "arn:aws:sns:eu-west-1:123456789012:oncall",
      { kind: "topic", topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall" },
    ],
    ["none, said outright", "none", { kind: "none" }],
  ])("takes %s", (_what, value, destination) => {
    // Act
    const config = resolveStackConfig({ alarmDestination: value });

    // Assess
    expect(config.alarmDestination).toBe(value);
    expect(alarmDestinationOf(value)).toStrictEqual(destination);
  });

  it.each([
    ["a word", "pager"],
    ["a FIFO topic (CloudWatch cannot publish to one)", "arn:aws:sns:eu-west-1:123456789012:oncall.fifo"],
    ["a queue's ARN", "arn:aws:sqs:eu-west-1:123456789012:oncall"],
    ["nothing", ""],
  ])("refuses %s, naming the setting and what it takes", (_what, value) => {
    // Act
    const problems = problemsOf({ alarmDestination: value });

    // Assess
    expect(problems).toStrictEqual([
      `spotOrderMetadata.alarmDestination: must be an e-mail address, a standard SNS topic's ARN (arn:aws:sns:<region>:<account>:<name>), or none (got ${JSON.stringify(value)})`,
    ]);
  });

  it("says alarmEmail was renamed, not that it is a typo", () => {
    expect(problemsOf({ alarmEmail: "oncall@example.com" })).toStrictEqual([
      "spotOrderMetadata.alarmEmail: renamed alarmDestination (an e-mail address, an SNS topic's ARN, or none)",
    ]);
  });
});

describe("contextInput", () => {
  it("merges -c spotOrderMetadata.<key> overrides into the cdk.json object, nested ones included", () => {
    // Prepare
    const context = {
      spotOrderMetadata: { memorySizeMb: 512, alarms: { functionErrors: 3 } },
      "spotOrderMetadata.memorySizeMb": "1024",
      "spotOrderMetadata.alarms.oldestMessageAgeSeconds": "1800",
      "@aws-cdk/core:someFlag": true,
    };

    // Act
    const input = contextInput(context);

    // Assess
    expect(input).toStrictEqual({
      memorySizeMb: "1024",
      alarms: { functionErrors: 3, oldestMessageAgeSeconds: "1800" },
    });
  });

  it("accepts the whole object as JSON (as -c spotOrderMetadata='{…}' gives it)", () => {
    // Act
    const input = contextInput({ spotOrderMetadata: '{"fifo":true}' });

    // Assess
    expect(input).toStrictEqual({ fifo: true });
  });

  it("rejects a configuration that is not an object", () => {
    // Act
    const act = () => contextInput({ spotOrderMetadata: "fifo=true" });

    // Assess
    expect(act).toThrow(ConfigError);
  });
});
