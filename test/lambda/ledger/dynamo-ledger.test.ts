/** The ledger's conditional writes, against DynamoDB's API (dynalite) over HTTP. */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoLedger } from "../../../lib/lambda/ledger/dynamo-ledger.ts";
import { metadataDigest } from "../../../lib/lambda/ledger/metadata-digest.ts";
import type { Version } from "../../../lib/lambda/processor/version.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { appliedVersions } from "../../../lib/tools/applied-versions.ts";

let db: EmbeddedDynamoDb;
let clock = 1_000_000;
let ledger: DynamoLedger;
let order = 0;
const nextOrder = () => `L${++order}`;
const v = (issuedAt: number, tieBreak = 0): Version => ({ issuedAt, tieBreak });
const LEASE_MS = 10_000;
const digest = metadataDigest({ clinic: "east" });
const plain = { reassert: false, keepLease: false, digest };
/** The version the ledger holds for the order, as the operators' tools read it. */
const appliedVersion = async (id: string) => (await appliedVersions(db.client(), db.table, [id])).get(id);

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  ledger = new DynamoLedger({ client: db.client(), table: db.table, leaseSeconds: 10, now: () => clock });
});
afterAll(() => db.stop());

const acquired = (renewed = false, tookOver = false) => ({
  kind: "acquired",
  leaseUntil: clock + LEASE_MS,
  renewed,
  tookOver,
});

describe("the applied-updates ledger", () => {
  it("admits the first update of an order and records it once applied", async () => {
    const id = nextOrder();
    expect(await ledger.admit(id, v(100), "m1")).toStrictEqual(acquired());
    expect(await ledger.applied(id, v(100), "m1", plain)).toStrictEqual({ reassert: false });
    expect(await appliedVersion(id)).toStrictEqual(v(100));
  });

  it("supersedes an older or equal update once a version is applied", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(200), "new");
    await ledger.applied(id, v(200), "new", plain);
    expect(await ledger.admit(id, v(100), "old")).toStrictEqual({ kind: "superseded" });
    expect(await ledger.admit(id, v(200), "same-again")).toStrictEqual({ kind: "superseded" });
    expect(await ledger.admit(id, v(300), "newer")).toStrictEqual(acquired());
  });

  it("breaks a tie of issuedAt by the tie-break, the greater winning", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(200, 5), "a");
    await ledger.applied(id, v(200, 5), "a", plain);
    expect(await ledger.admit(id, v(200, 4), "lower")).toStrictEqual({ kind: "superseded" });
    expect(await ledger.admit(id, v(200, 6), "higher")).toStrictEqual(acquired());
  });

  it("admits the applied update again only for the message asked to re-assert it", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "m1");
    expect(
      await ledger.applied(id, v(100), "m1", { reassert: true, keepLease: false, digest }),
    ).toStrictEqual({
      reassert: true,
    });
    expect(await ledger.admit(id, v(100), "a-copy")).toStrictEqual({ kind: "superseded" });
    expect(await ledger.admit(id, v(100), "m1")).toStrictEqual(acquired());
    await ledger.applied(id, v(100), "m1", plain);
    expect(await ledger.admit(id, v(100), "m1")).toStrictEqual({ kind: "superseded" });
  });

  it("keeps another update out while the lease is held, saying until when, and lets it in once released", async () => {
    const id = nextOrder();
    expect(await ledger.admit(id, v(100), "a")).toStrictEqual(acquired());
    expect(await ledger.admit(id, v(200), "b")).toStrictEqual({ kind: "busy", leaseUntil: clock + LEASE_MS });
    await ledger.release(id, v(100));
    expect(await ledger.admit(id, v(200), "b")).toStrictEqual(acquired());
  });

  it("lends the lease to every copy of one update, and says it was renewed", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "first-delivery");
    expect(await ledger.admit(id, v(100), "requeued-copy")).toStrictEqual(acquired(true));
  });

  it("lets a lapsed lease be taken over, and says so", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "crashed");
    clock += LEASE_MS + 1;
    expect(await ledger.admit(id, v(200), "next")).toStrictEqual(acquired(false, true));
  });

  it("never lowers the recorded version, and tells a holder whose lease passed on", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "slow");
    clock += LEASE_MS + 1;
    await ledger.admit(id, v(300), "fast");
    expect(await ledger.applied(id, v(300), "fast", plain)).toStrictEqual({ reassert: false });
    expect(await ledger.applied(id, v(100), "slow", plain)).toStrictEqual({ reassert: true });
    expect(await appliedVersion(id)).toStrictEqual(v(300));
  });

  it("keeps the lease past the record when asked, for an earlier call of the update that may still land", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "m1");
    await ledger.applied(id, v(100), "m1", { reassert: false, keepLease: true, digest });
    expect(await ledger.admit(id, v(200), "newer")).toStrictEqual({
      kind: "busy",
      leaseUntil: clock + LEASE_MS,
    });
    clock += LEASE_MS + 1;
    expect(await ledger.admit(id, v(200), "newer")).toStrictEqual(acquired(false, true));
  });

  it("does not release a lease another update holds", async () => {
    const id = nextOrder();
    await ledger.admit(id, v(100), "holder");
    await ledger.release(id, v(999));
    expect((await ledger.admit(id, v(200), "third")).kind).toBe("busy");
  });

  it("records the applied metadata's digest and per-key digests, never a value, and drops stale per-key digests", async () => {
    // Prepare
    const id = nextOrder();
    const many = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, "x"]));
    const item = async () =>
      (
        await db.client().send(
          new GetItemCommand({
            TableName: db.table,
            Key: { publicId: { S: id } },
            ProjectionExpression: "appliedDigest, appliedKeys",
          }),
        )
      ).Item;

    // Act
    await ledger.admit(id, v(100), "m1");
    await ledger.applied(id, v(100), "m1", { ...plain, digest: metadataDigest({ clinic: "east", n: 1 }) });
    const keyed = await item();
    await ledger.admit(id, v(200), "m2");
    await ledger.applied(id, v(200), "m2", { ...plain, digest: metadataDigest(many) });
    const wide = await item();
    await ledger.admit(id, v(300), "m3");
    await ledger.applied(id, v(300), "m3", { ...plain, digest: metadataDigest({}) });
    const cleared = await item();

    // Assess
    const expected = metadataDigest({ n: 1, clinic: "east" });
    expect(keyed).toStrictEqual({
      appliedDigest: { S: expected.digest },
      appliedKeys: { M: { clinic: { S: expected.keys?.clinic }, n: { S: expected.keys?.n } } },
    });
    expect(JSON.stringify(keyed)).not.toContain("east");
    expect(wide).toStrictEqual({ appliedDigest: { S: metadataDigest(many).digest } });
    expect(cleared).toStrictEqual({
      appliedDigest: { S: metadataDigest({}).digest },
      appliedKeys: { M: {} },
    });
  });
});
