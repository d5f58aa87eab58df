import { describe, expect, it } from "vitest";
import { MAX_VISIBILITY_SECONDS, visibilityBackoffSeconds } from "../../lib/lambda/backoff.ts";

const policy = { baseSeconds: 30, maxSeconds: 900 };

describe("visibility backoff", () => {
  it("doubles with each receive, between half and all of the step", () => {
    expect([1, 2, 3, 4].map((n) => visibilityBackoffSeconds(policy, n, 0, () => 0))).toStrictEqual([
      15, 30, 60, 120,
    ]);
    expect([1, 2, 3, 4].map((n) => visibilityBackoffSeconds(policy, n, 0, () => 0.999999))).toStrictEqual([
      30, 60, 120, 240,
    ]);
  });

  it("stops growing at the cap", () => {
    expect(visibilityBackoffSeconds(policy, 50, 0, () => 0.999999)).toBe(900);
    expect(visibilityBackoffSeconds(policy, 50, 0, () => 0)).toBe(450);
  });

  it("waits at least what Retry-After asked", () => {
    expect(visibilityBackoffSeconds(policy, 1, 120_500, () => 0)).toBe(121);
  });

  it("never asks SQS for more than its 12-hour ceiling", () => {
    expect(visibilityBackoffSeconds(policy, 1, 86_400_000, () => 0)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it("treats a missing or zero receive count as the first", () => {
    expect(visibilityBackoffSeconds(policy, 0, 0, () => 0)).toBe(15);
  });
});
