/** The shared pace's record as an item of the ledger's table, against DynamoDB's API (dynalite). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoLedger } from "../../../lib/lambda/ledger/dynamo-ledger.ts";
import { DynamoPaceStore } from "../../../lib/lambda/pace/dynamo-pace-store.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { scanSteps } from "../../../lib/tools/verify/ledger-source.ts";

let db: EmbeddedDynamoDb;
let store: DynamoPaceStore;

beforeEach(async () => {
  db = await startEmbeddedDynamoDb();
  store = new DynamoPaceStore({ client: db.client(), table: db.table });
});
afterEach(() => db.stop());

describe("the shared pace's record", () => {
  it("keeps each instance's last report and answers with all of them", async () => {
    // Prepare
    await store.report("a", { at: 1_000, sent: 10, accepted: 9, answered: 10 }, []);

    // Act
    const view = await store.report("b", { at: 1_100, sent: 12, accepted: 12, answered: 12 }, []);
    const again = await store.report("a", { at: 2_000, sent: 11, accepted: 11, answered: 11 }, []);

    // Assess
    expect(view).toStrictEqual({
      reports: [
        { instance: "a", at: 1_000, sent: 10, accepted: 9, answered: 10 },
        { instance: "b", at: 1_100, sent: 12, accepted: 12, answered: 12 },
      ],
    });
    expect(again.reports.find((r) => r.instance === "a")).toStrictEqual({
      instance: "a",
      at: 2_000,
      sent: 11,
      accepted: 11,
      answered: 11,
    });
  });

  it("forgets the instances it is told are gone", async () => {
    // Prepare
    await store.report("gone", { at: 1_000, sent: 1, accepted: 1, answered: 1 }, []);

    // Act
    const view = await store.report("here", { at: 70_000, sent: 1, accepted: 1, answered: 1 }, ["gone"]);

    // Assess
    expect(view.reports.map((r) => r.instance)).toStrictEqual(["here"]);
  });

  it("records a cut unless one for the same refusals with a limit as high is recorded", async () => {
    // Act: a first cut; one for the same refusals, lower; one for them, higher; a later one, lower.
    const first = await store.cut(40, 10_000, 9_000);
    const lower = await store.cut(30, 10_020, 9_010);
    const higher = await store.cut(44, 10_030, 9_020);
    const later = await store.cut(36, 12_000, 10_500);

    // Assess
    expect(first).toMatchObject({ limit: 40, cutAt: 10_000 });
    expect(lower).toMatchObject({ limit: 40, cutAt: 10_000 });
    expect(higher).toMatchObject({ limit: 44, cutAt: 10_030 });
    expect(later).toMatchObject({ limit: 36, cutAt: 12_000 });
  });

  it("is no order to the ledger's readers", async () => {
    // Prepare
    await store.cut(40, 10_000, 9_000);
    await store.report("a", { at: 10_000, sent: 1, accepted: 1, answered: 1 }, []);

    // Act
    const applied = await new DynamoLedger({ client: db.client(), table: db.table }).anAppliedOrder();
    const steps = [];
    for await (const step of scanSteps({ client: db.client(), table: db.table }, undefined)) steps.push(step);

    // Assess: verify's scan passes it by, as an item with nothing applied.
    expect(applied).toBeUndefined();
    expect(steps.filter((step) => step.subject !== undefined)).toStrictEqual([]);
  });
});
