import { describe, expect, it } from "vitest";
import {
  type Failure,
  FailureAttribute,
  failureAttributes,
  KEPT_ATTRIBUTES,
  keepFirstFailure,
  ReasonClass,
  readFailure,
} from "../../../lib/lambda/sqs/failure-attributes.ts";

const failure: Failure = {
  reasonClass: ReasonClass.permanent,
  reason: "Spot answered 404 not_found: Order not found",
  status: 404,
  errorType: "not_found",
  details: ["Order not found"],
  attempts: 2,
  firstFailureAt: new Date("2026-11-27T10:00:00.000Z"),
  lastFailureAt: new Date("2026-11-27T10:05:00.000Z"),
};

describe("failure attributes", () => {
  it("round-trip through SQS message attributes", () => {
    const attributes = failureAttributes(failure);
    expect(readFailure(attributes)).toStrictEqual(failure);
    expect(Object.keys(attributes)).toHaveLength(8);
  });

  it("leave out what a failure does not have", () => {
    const invalid = { ...failure, reasonClass: ReasonClass.invalid, status: undefined, errorType: undefined };
    delete invalid.status;
    delete invalid.errorType;
    expect(Object.keys(failureAttributes(invalid))).not.toContain("failure-status");
    expect(readFailure(failureAttributes(invalid))).toStrictEqual(invalid);
  });

  it("clip long details to whole entries", () => {
    const details = Array.from({ length: 100 }, (_, i) => `detail ${i} ${"x".repeat(50)}`);
    const read = readFailure(failureAttributes({ ...failure, details }));
    expect(read?.details.length).toBeLessThan(100);
    expect(read?.details).toStrictEqual(details.slice(0, read?.details.length));
  });

  it("say nothing of a message that has no failure", () => {
    expect(readFailure({})).toBeUndefined();
  });
});

describe("the first failure through a replay", () => {
  const own = new Date("2026-11-28T09:00:00.000Z");

  it("is the one the replayed message carries, when earlier than this delivery's", () => {
    const carried = { [FailureAttribute.firstFailureAt]: { stringValue: "2026-11-20T08:00:00.000Z" } };

    expect(keepFirstFailure(carried, own)).toStrictEqual(new Date("2026-11-20T08:00:00.000Z"));
  });

  it("is this delivery's own without a carried time, with an unreadable or a later one", () => {
    const at = (stringValue: string) => ({ [FailureAttribute.firstFailureAt]: { stringValue } });

    expect(keepFirstFailure({}, own)).toBe(own);
    expect(keepFirstFailure(undefined, own)).toBe(own);
    expect(keepFirstFailure(at("yesterday"), own)).toBe(own);
    expect(keepFirstFailure(at("2026-11-29T00:00:00.000Z"), own)).toBe(own);
  });

  it("costs no attribute: what travels and what a failure writes are ten names at most", () => {
    const names = new Set([...KEPT_ATTRIBUTES, ...Object.keys(failureAttributes(failure))]);

    expect(KEPT_ATTRIBUTES).toContain(FailureAttribute.firstFailureAt);
    expect(names.size).toBe(10);
  });
});
