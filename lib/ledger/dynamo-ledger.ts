/**
 * The applied-updates ledger on DynamoDB: per order, the newest version applied to Spot, and a short
 * lease while a call is in flight. Before a call the handler takes the lease with a conditional write
 * that also checks nothing newer was applied; after success it records the version and releases the
 * lease in one conditional write. So an older update never lands after a newer one, whatever the
 * delivery order, the retries, the number of Lambdas or the replays.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { Admission, type OrderingGuard } from "../processor/ordering.ts";
import {
  LedgerAttribute as A,
  type AppliedVersionReader,
  LEDGER_KEY,
  LEDGER_TTL_ATTRIBUTE,
} from "./table.ts";

export interface DynamoLedgerOptions {
  client: DynamoDBClient;
  table: string;
  /** How long a lease lasts: longer than one call to Spot with its quick retries. @default 60 */
  leaseSeconds?: number;
  /** How long an order's item lives after its last write (its TTL). @default 90 */
  ttlDays?: number;
  now?: () => number;
}

export class DynamoLedger implements OrderingGuard, AppliedVersionReader {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #leaseMs: number;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: DynamoLedgerOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#leaseMs = (options.leaseSeconds ?? 60) * 1000;
    this.#ttlSeconds = (options.ttlDays ?? 90) * 86_400;
    this.#now = options.now ?? Date.now;
  }

  /** Takes the order's lease unless a newer-or-equal version was applied or another message holds it. */
  async admit(publicId: string, version: number, messageId: string): Promise<Admission> {
    const now = this.#now();
    try {
      await this.#update(publicId, {
        UpdateExpression: `SET ${A.leaseOwner} = :me, ${A.leaseUntil} = :until, ${LEDGER_TTL_ATTRIBUTE} = :ttl`,
        ConditionExpression:
          `(attribute_not_exists(${A.appliedVersion}) OR ${A.appliedVersion} < :version) AND ` +
          `(attribute_not_exists(${A.leaseUntil}) OR ${A.leaseUntil} < :now OR ${A.leaseOwner} = :me)`,
        ExpressionAttributeValues: {
          ":me": { S: messageId },
          ":until": { N: String(now + this.#leaseMs) },
          ":ttl": { N: String(this.#expiry(now)) },
          ":version": { N: String(version) },
          ":now": { N: String(now) },
        },
      });
      return Admission.acquired;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Which half of the condition failed decides between "superseded" and "busy".
      const applied = await this.appliedVersion(publicId);
      return applied !== undefined && applied >= version ? Admission.superseded : Admission.busy;
    }
  }

  /** Records the applied version and releases the lease; never lowers the recorded version. */
  async applied(publicId: string, version: number, messageId: string): Promise<void> {
    const now = this.#now();
    const values = {
      ":version": { N: String(version) },
      ":message": { S: messageId },
      ":at": { S: new Date(now).toISOString() },
      ":ttl": { N: String(this.#expiry(now)) },
    };
    const record = `SET ${A.appliedVersion} = :version, ${A.appliedMessageId} = :message, ${A.appliedAt} = :at, ${LEDGER_TTL_ATTRIBUTE} = :ttl`;
    const newer = `(attribute_not_exists(${A.appliedVersion}) OR ${A.appliedVersion} < :version)`;
    try {
      await this.#update(publicId, {
        UpdateExpression: `${record} REMOVE ${A.leaseOwner}, ${A.leaseUntil}`,
        ConditionExpression: `${A.leaseOwner} = :message AND ${newer}`,
        ExpressionAttributeValues: values,
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The lease lapsed and passed on during the call: record the version if it is still the newest,
      // and leave the new holder's lease alone.
      await this.#update(publicId, {
        UpdateExpression: record,
        ConditionExpression: newer,
        ExpressionAttributeValues: values,
      }).catch((retryError: unknown) => {
        if (!(retryError instanceof ConditionalCheckFailedException)) throw retryError;
      });
    }
  }

  /** Releases the lease after a call that did not apply, if this message still holds it. */
  async release(publicId: string, messageId: string): Promise<void> {
    try {
      await this.#update(publicId, {
        UpdateExpression: `REMOVE ${A.leaseOwner}, ${A.leaseUntil}`,
        ConditionExpression: `${A.leaseOwner} = :me`,
        ExpressionAttributeValues: { ":me": { S: messageId } },
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async appliedVersion(publicId: string): Promise<number | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: publicId } },
        ConsistentRead: true,
        ProjectionExpression: A.appliedVersion,
      }),
    );
    const value = Item?.[A.appliedVersion]?.N;
    return value === undefined ? undefined : Number(value);
  }

  #update(
    publicId: string,
    input: Pick<
      ConstructorParameters<typeof UpdateItemCommand>[0],
      "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeValues"
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
