/** The ledger's conditional writes, against DynamoDB's API (dynalite) over HTTP. */
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoLedger } from "../../../lib/lambda/ledger/dynamo-ledger.ts";
import { metadataDigest } from "../../../lib/lambda/ledger/metadata-digest.ts";
import type { Admission, Lease } from "../../../lib/lambda/processor/ordering.ts";
import { type Version, versionNumber } from "../../../lib/lambda/processor/version.ts";
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from "../../../lib/local/embedded-dynamodb.ts";
import { appliedVersions } from "../../../lib/tools/applied-versions.ts";

let db: EmbeddedDynamoDb;
let clock = 1_000_000;
let ledger: DynamoLedger;
let order = 0;
const nextOrder = () => `L${++order}`;
const v = (issuedAt: number, tieBreak = 0): Version => ({ issuedAt, tieBreak });
const HOLD_MS = 10_000;
const digest = metadataDigest({ clinic: "east" });
/** The version the ledger holds for the order, as the operators' tools read it. */
const appliedVersion = async (id: string) => (await appliedVersions(db.client(), db.table, [id])).get(id);

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
  ledger = new DynamoLedger({ client: db.client(), table: db.table, now: () => clock });
});
afterAll(() => db.stop());

/** Admits and expects the order to be taken. */
async function take(id: string, version: Version, holdMs = HOLD_MS): Promise<Lease> {
  const admission = await ledger.admit(id, version, clock + holdMs);
  if (admission.kind !== "acquired") throw new Error(`expected the order, got ${JSON.stringify(admission)}`);
  return admission.lease;
}
const record = (lease: Lease, reopensAt?: number) =>
  ledger.recordApplied(lease, { messageId: "m", digest, ...(reopensAt === undefined ? {} : { reopensAt }) });
const busy = (reopensAt: number, settling = false, newerWaiting = false): Admission => ({
  kind: "busy",
  reopensAt,
  settling,
  newerWaiting,
});

describe("the applied-updates ledger", () => {
  it("admits the first update of an order and records it once applied", async () => {
    const id = nextOrder();
    const lease = await take(id, v(100));
    expect(lease).toMatchObject({ publicId: id, version: v(100), until: clock + HOLD_MS });
    expect(await record(lease)).toBe("recorded");
    expect(await appliedVersion(id)).toStrictEqual(v(100));
  });

  it("supersedes an older or equal update once a version is applied", async () => {
    const id = nextOrder();
    await record(await take(id, v(200)));
    expect(await ledger.admit(id, v(100), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
    expect((await ledger.admit(id, v(300), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("breaks a tie of issuedAt by the tie-break, the greater winning", async () => {
    const id = nextOrder();
    await record(await take(id, v(200, 5)));
    expect(await ledger.admit(id, v(200, 4), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
    expect((await ledger.admit(id, v(200, 6), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("keeps a second copy of the same update out while the first calls: each attempt holds the order alone", async () => {
    const id = nextOrder();
    const first = await take(id, v(100));
    expect(await ledger.admit(id, v(100), clock + HOLD_MS)).toStrictEqual(busy(clock + HOLD_MS));
    expect(await record(first)).toBe("recorded");
    expect(await ledger.admit(id, v(100), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
  });

  it("keeps another update out while an attempt calls, saying until when, and lets it in once released", async () => {
    const id = nextOrder();
    const holder = await take(id, v(100));
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual(busy(clock + HOLD_MS));
    await ledger.release(holder);
    expect((await ledger.admit(id, v(200), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("after an uncertain call, reopens the order when the write can no longer land, not at the hold's end", async () => {
    const id = nextOrder();
    const holder = await take(id, v(100));
    await ledger.settle(holder, { reopensAt: clock + 3_000, ownFailure: true });
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual(busy(clock + 3_000, true));
    clock += 3_001;
    expect((await ledger.admit(id, v(200), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("lets an order whose holder went silent be taken once its hold has ended", async () => {
    const id = nextOrder();
    await take(id, v(100), 1_000);
    clock += 1_001;
    expect((await ledger.admit(id, v(200), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("refuses the record of an attempt whose hold ended and passed on, and leaves the new holder alone", async () => {
    const id = nextOrder();
    const slow = await take(id, v(300), 1_000);
    clock += 1_001;
    const next = await take(id, v(100));
    expect(await record(slow)).toBe("lost");
    expect(await appliedVersion(id)).toBeUndefined();
    expect(await ledger.admit(id, v(400), clock + HOLD_MS)).toStrictEqual(busy(next.until));
    expect(await record(next)).toBe("recorded");
  });

  it("records an attempt whose hold ended when nobody took the order meanwhile", async () => {
    const id = nextOrder();
    const slow = await take(id, v(100), 1_000);
    clock += 5_000;
    expect(await record(slow)).toBe("recorded");
    expect(await appliedVersion(id)).toStrictEqual(v(100));
  });

  it("keeps the order closed past the record when an earlier attempt of the call may still land", async () => {
    const id = nextOrder();
    await record(await take(id, v(100)), clock + 2_000);
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual(busy(clock + 2_000, true));
    clock += 2_001;
    expect((await ledger.admit(id, v(200), clock + HOLD_MS)).kind).toBe("acquired");
  });

  it("lets no attempt release, settle or record an order another attempt holds", async () => {
    const id = nextOrder();
    const holder = await take(id, v(100));
    const stranger: Lease = { ...holder, token: "someone-else" };
    await ledger.release(stranger);
    await ledger.settle(stranger, { reopensAt: clock, ownFailure: true });
    expect(await record(stranger)).toBe("lost");
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual(busy(holder.until));
  });

  it("tells an older update refused after a newer one that the newer one waits to go first", async () => {
    const id = nextOrder();
    await take(id, v(100));
    expect(await ledger.admit(id, v(300), clock + HOLD_MS)).toStrictEqual(busy(clock + HOLD_MS));
    expect(await ledger.admit(id, v(200), clock + HOLD_MS)).toStrictEqual(busy(clock + HOLD_MS, false, true));
    expect(await ledger.admit(id, v(400), clock + HOLD_MS)).toStrictEqual(busy(clock + HOLD_MS));
  });

  it("counts an update's own failures across its attempts and copies, and forgets them once a version is recorded", async () => {
    const id = nextOrder();
    expect(await ledger.settle(await take(id, v(100), 1), { reopensAt: clock, ownFailure: true })).toBe(1);
    clock += 2;
    expect(await ledger.release(await take(id, v(100), 1), { ownFailure: true })).toBe(2);
    clock += 2;
    expect(await ledger.settle(await take(id, v(200), 1), { reopensAt: clock, ownFailure: true })).toBe(1);
    clock += 2;
    await record(await take(id, v(100), 1));
    clock += 2;
    expect(await ledger.settle(await take(id, v(200), 1), { reopensAt: clock, ownFailure: true })).toBe(1);
  });

  it("sends the applied version once more when asked (verify --fix), by any copy of it", async () => {
    const id = nextOrder();
    await record(await take(id, v(100)));
    await db.client().send(
      new UpdateItemCommand({
        TableName: db.table,
        Key: { publicId: { S: id } },
        UpdateExpression: "SET reassertOrder = :order",
        ExpressionAttributeValues: { ":order": { N: versionNumber(v(100)) } },
      }),
    );
    expect(await ledger.admit(id, v(99), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
    await record(await take(id, v(100)));
    expect(await ledger.admit(id, v(100), clock + HOLD_MS)).toStrictEqual({ kind: "superseded" });
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
    const recordWith = async (version: Version, metadata: Record<string, unknown>) =>
      ledger.recordApplied(await take(id, version), { messageId: "m", digest: metadataDigest(metadata) });
    await recordWith(v(100), { clinic: "east", n: 1 });
    const keyed = await item();
    await recordWith(v(200), many);
    const wide = await item();
    await recordWith(v(300), {});
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
