/**
 * The applied-updates ledger on DynamoDB: per order, the newest version applied to Spot, and a lease
 * while a call is, or may still be, in flight. Before a call the handler takes the lease with a
 * conditional write that also checks nothing newer was applied; after success it records the version
 * and releases the lease in one conditional write. After a call whose write may yet land at Spot the
 * lease is kept until it lapses, so no other update is sent while the older write could overtake it.
 *
 * The lease belongs to an update (its version key), not to a message: a requeued or replayed copy of
 * the same update holds it alike, since its write would store the same metadata.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Admission, OrderingGuard, Recorded, RecordOptions } from "../processor/ordering.ts";
import {
  compareVersions,
  parseVersionNumber,
  type Version,
  versionKey,
  versionNumber,
} from "../processor/version.ts";
import { LedgerAttribute as A, LEDGER_KEY, LEDGER_TTL_ATTRIBUTE } from "./table.ts";

export interface DynamoLedgerOptions {
  client: DynamoDBClient;
  table: string;
  /** How long a lease lasts: longer than one invocation plus the late-write window. @default 120 */
  leaseSeconds?: number;
  /** How long an order's item lives after its last write (its TTL). @default 90 */
  ttlDays?: number;
  now?: () => number;
}

/** What was applied before is older than this version (`NEWER`), or not newer (`NOT_OLDER`). */
const NEWER = `(attribute_not_exists(${A.appliedOrder}) OR ${A.appliedOrder} < :order)`;
const NOT_OLDER = `(attribute_not_exists(${A.appliedOrder}) OR ${A.appliedOrder} <= :order)`;
/** The applied update, and this is the message asked to re-assert it. */
const REASSERTING = `(${A.appliedOrder} = :order AND ${A.reassertBy} = :message)`;
const LEASE_FREE = `(attribute_not_exists(${A.leaseUntil}) OR ${A.leaseUntil} < :now OR ${A.leaseOwner} = :me)`;

export class DynamoLedger implements OrderingGuard {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #leaseMs: number;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: DynamoLedgerOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#leaseMs = (options.leaseSeconds ?? 120) * 1000;
    this.#ttlSeconds = (options.ttlDays ?? 90) * 86_400;
    this.#now = options.now ?? Date.now;
  }

  /** Takes the order's lease unless a newer version was applied or another update holds the lease. */
  async admit(publicId: string, version: Version, messageId: string): Promise<Admission> {
    const now = this.#now();
    const me = versionKey(version);
    const leaseUntil = now + this.#leaseMs;
    try {
      const { Attributes: old } = await this.#update(publicId, {
        UpdateExpression: `SET ${A.leaseOwner} = :me, ${A.leaseUntil} = :until, ${LEDGER_TTL_ATTRIBUTE} = :ttl`,
        ConditionExpression: `(${NEWER} OR ${REASSERTING}) AND ${LEASE_FREE}`,
        ExpressionAttributeValues: {
          ...versionValues(version),
          ":message": { S: messageId },
          ":me": { S: me },
          ":until": { N: String(leaseUntil) },
          ":ttl": { N: String(this.#expiry(now)) },
          ":now": { N: String(now) },
        },
        ReturnValues: "ALL_OLD",
      });
      const previousOwner = old?.[A.leaseOwner]?.S;
      return {
        kind: "acquired",
        leaseUntil,
        renewed: previousOwner === me,
        tookOver: previousOwner !== undefined && previousOwner !== me,
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Which half of the condition failed decides between "superseded" and "busy".
      const item = await this.#read(publicId);
      const applied = item.appliedVersion;
      const order = applied === undefined ? -1 : compareVersions(applied, version);
      const superseded = order > 0 || (order === 0 && item.reassertBy !== messageId);
      return superseded ? { kind: "superseded" } : { kind: "busy", leaseUntil: item.leaseUntil ?? now };
    }
  }

  /** Records the applied version and releases the lease; never lowers the recorded version. */
  async applied(
    publicId: string,
    version: Version,
    messageId: string,
    { reassert, keepLease, digest }: RecordOptions,
  ): Promise<Recorded> {
    const now = this.#now();
    const values = {
      ...versionValues(version),
      ":version": { N: String(version.issuedAt) },
      ":message": { S: messageId },
      ":at": { S: new Date(now).toISOString() },
      ":ttl": { N: String(this.#expiry(now)) },
      ":digest": { S: digest.digest },
      ...(digest.keys === undefined ? {} : { ":keys": { M: keyDigestValues(digest.keys) } }),
    };
    const record = `SET ${A.appliedVersion} = :version, ${A.appliedOrder} = :order, ${A.appliedMessageId} = :message, ${A.appliedAt} = :at, ${LEDGER_TTL_ATTRIBUTE} = :ttl, ${A.appliedDigest} = :digest${digest.keys === undefined ? "" : `, ${A.appliedKeys} = :keys`}`;
    // Without per-key digests, those of an earlier update must go, or verify would name wrong keys.
    const staleKeys = digest.keys === undefined ? [A.appliedKeys] : [];
    try {
      await this.#update(publicId, {
        UpdateExpression: `${record}${reassert ? `, ${A.reassertBy} = :message` : ""}${removing([
          ...(keepLease ? [] : [A.leaseOwner, A.leaseUntil]),
          ...(reassert ? [] : [A.reassertBy]),
          ...staleKeys,
        ])}`,
        ConditionExpression: `${A.leaseOwner} = :me AND ${NOT_OLDER}`,
        ExpressionAttributeValues: { ...values, ":me": { S: versionKey(version) } },
      });
      return { reassert };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // The lease lapsed and may have passed on during the call: record the version if it is still
    // the newest, leave the new holder's lease alone, and re-assert the version later.
    await this.#update(publicId, {
      UpdateExpression: `${record}, ${A.reassertBy} = :message${removing(staleKeys)}`,
      ConditionExpression: NOT_OLDER,
      ExpressionAttributeValues: values,
    }).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
    return { reassert: true };
  }

  /** Releases the lease after a call that surely did not reach Spot, if this update still holds it. */
  async release(publicId: string, version: Version): Promise<void> {
    try {
      await this.#update(publicId, {
        UpdateExpression: `REMOVE ${A.leaseOwner}, ${A.leaseUntil}`,
        ConditionExpression: `${A.leaseOwner} = :me`,
        ExpressionAttributeValues: { ":me": { S: versionKey(version) } },
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async #read(publicId: string): Promise<{
    appliedVersion?: Version;
    reassertBy?: string;
    leaseUntil?: number;
  }> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: publicId } },
        ConsistentRead: true,
        ProjectionExpression: `${A.appliedOrder}, ${A.reassertBy}, ${A.leaseUntil}`,
      }),
    );
    const order = Item?.[A.appliedOrder]?.N;
    const leaseUntil = Item?.[A.leaseUntil]?.N;
    const reassertBy = Item?.[A.reassertBy]?.S;
    return {
      ...(order === undefined ? {} : { appliedVersion: parseVersionNumber(order) }),
      ...(reassertBy === undefined ? {} : { reassertBy }),
      ...(leaseUntil === undefined ? {} : { leaseUntil: Number(leaseUntil) }),
    };
  }

  #update(
    publicId: string,
    input: Pick<
      ConstructorParameters<typeof UpdateItemCommand>[0],
      "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeValues" | "ReturnValues"
    >,
  ) {
    return this.#client.send(
      new UpdateItemCommand({ TableName: this.#table, Key: { [LEDGER_KEY]: { S: publicId } }, ...input }),
    );
  }

  #expiry(now: number): number {
    return Math.floor(now / 1000) + this.#ttlSeconds;
  }
}

function versionValues(version: Version) {
  return { ":order": { N: versionNumber(version) } };
}

function keyDigestValues(keys: Record<string, string>): Record<string, { S: string }> {
  return Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, { S: value }]));
}

function removing(attributes: string[]): string {
  return attributes.length === 0 ? "" : ` REMOVE ${attributes.join(", ")}`;
}
