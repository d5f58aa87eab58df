/**
 * The applied-updates ledger on DynamoDB, one item per order: the newest version applied to Spot,
 * and the attempt that holds the order while its call is running or settling. Every move of the
 * order's state (docs/ordering.md, "The order's states") is one conditional write; the conditions
 * are named below and joined, so each write reads as the rule it enforces.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { Admission, Lease, OrderingGuard, Recorded } from "../processor/ordering.ts";
import { type Version, versionKey, versionNumber } from "../processor/version.ts";
import type { MetadataDigest } from "./metadata-digest.ts";
import { LedgerAttribute as A, LEDGER_KEY, LEDGER_TTL_ATTRIBUTE } from "./table.ts";

export interface DynamoLedgerOptions {
  client: DynamoDBClient;
  table: string;
  /** How long an order's item lives after its last write (its TTL). @default 90 */
  ttlDays?: number;
  now?: () => number;
}

/** The conditions, by what they say of the order. `:order` is the update's version as one number. */
const IS = {
  /** Nothing applied yet, or something older. */
  newer: `attribute_not_exists(${A.appliedOrder}) OR ${A.appliedOrder} < :order`,
  /** The applied version, which the ledger was asked to let be sent once more. */
  reasserting: `${A.reassertOrder} = :order`,
  /** Nothing newer applied (recording never lowers the version). */
  notOlder: `attribute_not_exists(${A.appliedOrder}) OR ${A.appliedOrder} <= :order`,
  /** No attempt holds the order, or its hold has ended. */
  open: `attribute_not_exists(${A.leaseUntil}) OR ${A.leaseUntil} < :now`,
  /** This attempt still holds the order: nobody was admitted since it was. */
  heldByMe: `${A.leaseOwner} = :token`,
  /** No newer update is known to wait. */
  newestWaiting: `attribute_not_exists(${A.waitingOrder}) OR ${A.waitingOrder} < :order`,
};
const all = (...conditions: string[]) => conditions.map((c) => `(${c})`).join(" AND ");
const any = (...conditions: string[]) => conditions.map((c) => `(${c})`).join(" OR ");

/** An update expression from its SET and REMOVE parts. */
function update(set: string[], remove: string[] = []): string {
  return [
    set.length > 0 ? `SET ${set.join(", ")}` : "",
    remove.length > 0 ? `REMOVE ${remove.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The holder's count of own failures, for the version `#v`, one more. */
const ONE_MORE_FAILURE = `${A.ownFailures}.#v = if_not_exists(${A.ownFailures}.#v, :zero) + :one`;
const RELEASED = [A.leaseOwner, A.leaseUntil, A.leaseSettling];

export class DynamoLedger implements OrderingGuard {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: DynamoLedgerOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#ttlSeconds = (options.ttlDays ?? 90) * 86_400;
    this.#now = options.now ?? Date.now;
  }

  /** open → calling: only an update newer than the applied one, and only while no attempt holds the order. */
  async admit(publicId: string, version: Version, holdUntil: number): Promise<Admission> {
    const now = this.#now();
    const lease: Lease = {
      publicId,
      version,
      token: `${versionKey(version)}/${randomUUID()}`,
      until: holdUntil,
    };
    const taken = await this.#conditional(publicId, {
      UpdateExpression: update(
        [
          `${A.leaseOwner} = :token`,
          `${A.leaseUntil} = :until`,
          `${LEDGER_TTL_ATTRIBUTE} = :ttl`,
          `${A.ownFailures} = if_not_exists(${A.ownFailures}, :none)`,
        ],
        [A.leaseSettling],
      ),
      ConditionExpression: all(any(IS.newer, IS.reasserting), IS.open),
      ExpressionAttributeValues: {
        ":order": { N: versionNumber(version) },
        ":token": { S: lease.token },
        ":until": { N: String(holdUntil) },
        ":ttl": { N: String(this.#expiry(now)) },
        ":now": { N: String(now) },
        ":none": { M: {} },
      },
    });
    if (taken) return { kind: "acquired", lease };
    return this.#refusal(publicId, version, now);
  }

  /** calling → open (or settling, while an earlier attempt may land): records the version, if still held. */
  async recordApplied(
    lease: Lease,
    { messageId, digest, reopensAt }: { messageId: string; digest: MetadataDigest; reopensAt?: number },
  ): Promise<Recorded> {
    const now = this.#now();
    const settling = reopensAt !== undefined;
    const recorded = await this.#conditional(lease.publicId, {
      UpdateExpression: update(
        [
          `${A.appliedVersion} = :version`,
          `${A.appliedOrder} = :order`,
          `${A.appliedMessageId} = :message`,
          `${A.appliedAt} = :at`,
          `${A.appliedDigest} = :digest`,
          `${A.ownFailures} = :none`,
          `${LEDGER_TTL_ATTRIBUTE} = :ttl`,
          ...(digest.keys === undefined ? [] : [`${A.appliedKeys} = :keys`]),
          ...(settling ? [`${A.leaseUntil} = :reopens`, `${A.leaseSettling} = :yes`] : []),
        ],
        [
          A.reassertOrder,
          // Without per-key digests, those of an earlier update must go, or verify would name wrong keys.
          ...(digest.keys === undefined ? [A.appliedKeys] : []),
          ...(settling ? [] : RELEASED),
        ],
      ),
      ConditionExpression: all(IS.heldByMe, IS.notOlder),
      ExpressionAttributeValues: {
        ":version": { N: String(lease.version.issuedAt) },
        ":order": { N: versionNumber(lease.version) },
        ":token": { S: lease.token },
        ":message": { S: messageId },
        ":at": { S: new Date(now).toISOString() },
        ":digest": { S: digest.digest },
        ":none": { M: {} },
        ":ttl": { N: String(this.#expiry(now)) },
        ...(digest.keys === undefined ? {} : { ":keys": { M: keyDigestValues(digest.keys) } }),
        ...(settling ? { ":reopens": { N: String(reopensAt) }, ":yes": { BOOL: true } } : {}),
      },
    });
    return recorded ? "recorded" : "lost";
  }

  /** calling → settling: the order reopens when the call's write can no longer land. */
  async settle(
    lease: Lease,
    { reopensAt, ownFailure }: { reopensAt: number; ownFailure: boolean },
  ): Promise<number | undefined> {
    const result = await this.#conditional(lease.publicId, {
      UpdateExpression: update([
        `${A.leaseUntil} = :reopens`,
        `${A.leaseSettling} = :yes`,
        ...(ownFailure ? [ONE_MORE_FAILURE] : []),
      ]),
      ConditionExpression: IS.heldByMe,
      ExpressionAttributeValues: {
        ":token": { S: lease.token },
        ":reopens": { N: String(reopensAt) },
        ":yes": { BOOL: true },
        ...(ownFailure ? { ":zero": { N: "0" }, ":one": { N: "1" } } : {}),
      },
      ...(ownFailure ? failureCount(lease.version) : {}),
    });
    return ownFailuresIn(result, lease.version);
  }

  /** calling → open: the call surely wrote nothing. */
  async release(lease: Lease, { ownFailure = false } = {}): Promise<number | undefined> {
    const result = await this.#conditional(lease.publicId, {
      UpdateExpression: update(ownFailure ? [ONE_MORE_FAILURE] : [], RELEASED),
      ConditionExpression: IS.heldByMe,
      ExpressionAttributeValues: {
        ":token": { S: lease.token },
        ...(ownFailure ? { ":zero": { N: "0" }, ":one": { N: "1" } } : {}),
      },
      ...(ownFailure ? failureCount(lease.version) : {}),
    });
    return ownFailuresIn(result, lease.version);
  }

  /** An order recorded as applied, from the first items of the table (a short scan, when a run of 404s asks). */
  async anAppliedOrder(): Promise<string | undefined> {
    const { Items = [] } = await this.#client.send(
      new ScanCommand({
        TableName: this.#table,
        Limit: 25,
        ProjectionExpression: LEDGER_KEY,
        FilterExpression: `attribute_exists(${A.appliedOrder})`,
      }),
    );
    return Items[0]?.[LEDGER_KEY]?.S;
  }

  /**
   * Why an admission was refused: superseded, or busy until when. A refused update that is the
   * newest waiting says so, so that older ones refused after it wait for it to go first.
   */
  async #refusal(publicId: string, version: Version, now: number): Promise<Admission> {
    const item = await this.#read(publicId);
    const order = BigInt(versionNumber(version));
    if (item.applied !== undefined && item.applied >= order && item.reassert !== order) {
      return { kind: "superseded" };
    }
    const newerWaiting =
      item.waiting !== undefined &&
      item.waiting > order &&
      (item.applied === undefined || item.waiting > item.applied);
    if (!newerWaiting) await this.#markWaiting(publicId, order);
    // The hold may have ended between the write and the read: come back at once.
    const reopensAt = Math.max(now, item.leaseUntil ?? now);
    return { kind: "busy", reopensAt, settling: item.settling, newerWaiting };
  }

  async #markWaiting(publicId: string, order: bigint): Promise<void> {
    await this.#conditional(publicId, {
      UpdateExpression: update([`${A.waitingOrder} = :order`]),
      ConditionExpression: IS.newestWaiting,
      ExpressionAttributeValues: { ":order": { N: order.toString() } },
    });
  }

  async #read(publicId: string): Promise<{
    applied?: bigint;
    reassert?: bigint;
    waiting?: bigint;
    leaseUntil?: number;
    settling: boolean;
  }> {
    const { Item = {} } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: publicId } },
        ConsistentRead: true,
        ProjectionExpression: [
          A.appliedOrder,
          A.reassertOrder,
          A.waitingOrder,
          A.leaseUntil,
          A.leaseSettling,
        ].join(", "),
      }),
    );
    const big = (value: AttributeValue | undefined) => (value?.N === undefined ? undefined : BigInt(value.N));
    const leaseUntil = Item[A.leaseUntil]?.N;
    return {
      ...optional("applied", big(Item[A.appliedOrder])),
      ...optional("reassert", big(Item[A.reassertOrder])),
      ...optional("waiting", big(Item[A.waitingOrder])),
      ...optional("leaseUntil", leaseUntil === undefined ? undefined : Number(leaseUntil)),
      settling: Item[A.leaseSettling]?.BOOL === true,
    };
  }

  /** One conditional write; `undefined` when its condition did not hold. */
  async #conditional(
    publicId: string,
    input: Omit<UpdateItemCommandInput, "TableName" | "Key">,
  ): Promise<{ Attributes?: Record<string, AttributeValue> } | undefined> {
    try {
      return await this.#client.send(
        new UpdateItemCommand({ TableName: this.#table, Key: { [LEDGER_KEY]: { S: publicId } }, ...input }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  #expiry(now: number): number {
    return Math.floor(now / 1000) + this.#ttlSeconds;
  }
}

/** The write's names for the version's failure count, and asks it back. */
function failureCount(
  version: Version,
): Pick<UpdateItemCommandInput, "ExpressionAttributeNames" | "ReturnValues"> {
  return { ExpressionAttributeNames: { "#v": versionKey(version) }, ReturnValues: "UPDATED_NEW" };
}

function ownFailuresIn(
  result: { Attributes?: Record<string, AttributeValue> } | undefined,
  version: Version,
): number | undefined {
  const count = result?.Attributes?.[A.ownFailures]?.M?.[versionKey(version)]?.N;
  return count === undefined ? undefined : Number(count);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function keyDigestValues(keys: Record<string, string>): Record<string, { S: string }> {
  return Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, { S: value }]));
}
