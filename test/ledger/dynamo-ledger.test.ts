/** The ledger's conditional writes, against DynamoDB's API (dynalite) over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoLedger } from "../../lib/ledger/dynamo-ledger.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../lib/local/embedded-dynamodb.ts";
import { Admission } from "../../lib/processor/ordering.ts";

let db: EmbeddedDynamoDb;
let clock = 1_000_000;
let ledger: DynamoLedger;
let order = 0;
const nextOrder = () => `L${++order}`;

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  ledger = new DynamoLedger({ client: db.client(), table: db.table, leaseSeconds: 10, now: () => clock });
});
afterAll(() => db.stop());

describe("the applied-updates ledger", () => {
  it("admits the first update of an order and records it once applied", async () => {
    const id = nextOrder();
    expect(await ledger.admit(id, 100, "m1")).toBe(Admission.acquired);
    await ledger.applied(id, 100, "m1");
    expect(await ledger.appliedVersion(id)).toBe(100);
  });

  it("supersedes an older or equal update once a version is applied", async () => {
    const id = nextOrder();
    await ledger.admit(id, 200, "new");
    await ledger.applied(id, 200, "new");
    expect(await ledger.admit(id, 100, "old")).toBe(Admission.superseded);
    expect(await ledger.admit(id, 200, "same-again")).toBe(Admission.superseded);
    expect(await ledger.admit(id, 300, "newer")).toBe(Admission.acquired);
  });

  it("keeps a second message out while the lease is held, and lets it in once released", async () => {
    const id = nextOrder();
    expect(await ledger.admit(id, 100, "a")).toBe(Admission.acquired);
    expect(await ledger.admit(id, 200, "b")).toBe(Admission.busy);
    await ledger.release(id, "a");
    expect(await ledger.admit(id, 200, "b")).toBe(Admission.acquired);
  });

  it("lets a lease left by a crashed holder lapse", async () => {
    const id = nextOrder();
    await ledger.admit(id, 100, "crashed");
    clock += 10_001;
    expect(await ledger.admit(id, 200, "next")).toBe(Admission.acquired);
  });

  it("never lowers the recorded version, even when the lease passed on mid-call", async () => {
    const id = nextOrder();
    await ledger.admit(id, 100, "slow");
    clock += 10_001;
    await ledger.admit(id, 300, "fast");
    await ledger.applied(id, 300, "fast");
    await ledger.applied(id, 100, "slow");
    expect(await ledger.appliedVersion(id)).toBe(300);
  });

  it("does not release a lease another message holds", async () => {
    const id = nextOrder();
    await ledger.admit(id, 100, "holder");
    await ledger.release(id, "someone-else");
    expect(await ledger.admit(id, 200, "third")).toBe(Admission.busy);
  });
});
