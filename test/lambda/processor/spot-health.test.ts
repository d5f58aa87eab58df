/** Telling a message's own failure from Spot's outage, across an instance's invocations. */
import { describe, expect, it } from "vitest";
import { SpotHealth } from "../../../lib/lambda/processor/spot-health.ts";

describe("Spot's health as one instance sees it", () => {
  it("takes failures of one or two orders as theirs: they may be bad messages side by side", () => {
    const health = new SpotHealth();
    const a = health.failed("A");
    const b = health.failed("B");
    const aAgain = health.failed("A");
    expect([a, b, aAgain].map((mark) => health.isOutage(mark))).toStrictEqual([false, false, false]);
  });

  it("takes failures of three orders with no 200 between as Spot's outage, the earlier ones too", () => {
    const health = new SpotHealth();
    const marks = ["A", "B", "C"].map((order) => health.failed(order));
    expect(marks.map((mark) => health.isOutage(mark))).toStrictEqual([true, true, true]);
    expect(health.failingOrders).toBe(3);
  });

  it("ends the run at a 200: failures before it stay the outage's, those after are judged afresh", () => {
    const health = new SpotHealth();
    const before = ["A", "B", "C"].map((order) => health.failed(order));
    health.applied("D", 1_000);
    const after = health.failed("A");
    expect(before.map((mark) => health.isOutage(mark))).toStrictEqual([true, true, true]);
    expect(health.isOutage(after)).toBe(false);
    expect(health.lastApplied).toStrictEqual({ publicId: "D", at: 1_000 });
  });
});

describe("a short run that ended", () => {
  it("stays the messages' own after Spot applied another", () => {
    const health = new SpotHealth();
    const a = health.failed("A");
    health.applied("B");
    expect(health.isOutage(a)).toBe(false);
  });
});
