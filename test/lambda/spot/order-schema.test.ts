import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { orderFullSchema, seedOrder } from "../../../lib/lambda/spot/order-schema.ts";

/** The 200 body of Spot's documentation page (its example order; see docs/spot-api.md). */
const documented = JSON.parse(
  readFileSync(new URL("./fixtures/order-full.seed.json", import.meta.url), "utf8"),
);

describe("orderFullSchema", () => {
  it("accepts the order from Spot's documentation", () => {
    // Act
    const result = orderFullSchema.safeParse(documented);

    // Assess
    expect(result.success).toBe(true);
    expect(result.data?.order_id).toBe("O1234567");
    expect(result.data?.metadata).toBeNull();
  });

  it("tolerates fields Spot might add, at the top and deep down", () => {
    // Prepare
    const order = structuredClone(documented);
    order.priority = "high";
    order.kits[0].sample.lab = { name: "Lab 1" };
    order.recipient.address.unit = "B";

    // Act
    const result = orderFullSchema.safeParse(order);

    // Assess
    expect(result.success).toBe(true);
    expect((result.data as Record<string, unknown>).priority).toBe("high");
  });

  it.each([
    ["a missing order_id", (o: Record<string, unknown>) => delete o.order_id, "order_id"],
    ["an unknown status", (o: Record<string, unknown>) => (o.status = "shipped"), "status"],
    ["metadata as an array", (o: Record<string, unknown>) => (o.metadata = [1]), "metadata"],
    ["a missing metadata", (o: Record<string, unknown>) => delete o.metadata, "metadata"],
    ["kits that are not a list", (o: Record<string, unknown>) => (o.kits = {}), "kits"],
  ])("rejects %s", (_name, change, path) => {
    // Prepare
    const order = structuredClone(documented);
    change(order);

    // Act
    const result = orderFullSchema.safeParse(order);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(path);
  });
});

describe("seedOrder", () => {
  it("builds a valid order shaped like the documented one, the same for the same id", () => {
    // Act
    const first = seedOrder("O0000042");
    const again = seedOrder("O0000042");

    // Assess
    expect(orderFullSchema.parse(first)).toStrictEqual(first);
    expect(again).toStrictEqual(first);
    expect(Object.keys(first)).toStrictEqual(Object.keys(documented));
    expect(first.order_id).toBe("O0000042");
    expect(first.metadata).toBeNull();
  });

  it("takes overrides for status, metadata and timestamps", () => {
    // Act
    const order = seedOrder("O1", {
      status: "completed",
      metadata: { plan: "gold" },
      created: "2026-01-01T00:00:00.000Z",
      updated: "2026-02-01T00:00:00.000Z",
    });

    // Assess
    expect([order.status, order.metadata, order.created, order.updated]).toStrictEqual([
      "completed",
      { plan: "gold" },
      "2026-01-01T00:00:00.000Z",
      "2026-02-01T00:00:00.000Z",
    ]);
  });
});
