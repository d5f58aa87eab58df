/**
 * The shared pace's record ({@link PaceStore}) as one item of the ledger's table, under a key no
 * order can have (`~pace`: a publicId holds only letters, digits, `_` and `-`). The ledger's
 * readers pass it by: it holds no applied version. Its attributes:
 *
 * | attribute | what |
 * | --- | --- |
 * | `paceLimit` | Spot's limit as last measured, calls per second, all instances together |
 * | `paceCutAt` | when it was measured (epoch ms) |
 * | `paceReport_<instance>` | an instance's last report: `{at, sent, accepted, answered}` (epoch ms; its calls answered in the second before, those Spot accepted, and all it answered since it started) |
 * | `expiresAt` | the table's TTL: a day after the last write |
 *
 * While the fleet meets Spot's limit, each instance that calls Spot writes its report at its first
 * answer a quarter second after the last (at most one a call) and reads the whole item back with
 * the same write (`ReturnValues: ALL_NEW`); below the limit, nothing. The item is about 65 bytes
 * and 65 more per instance (an instance silent for a minute is removed by the next report): one
 * write unit for up to 15 instances. A cut is one conditional write more, and a read when another
 * instance's cut for the same refusals measured more.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { LEDGER_KEY, LEDGER_TTL_ATTRIBUTE } from "../ledger/table.ts";
import type { FleetView, PaceReport, PaceStore } from "../processor/pace-store.ts";

/** The item's key: not a valid publicId, so never an order's. */
export const PACE_ITEM_KEY = "~pace";
const LIMIT = "paceLimit";
const CUT_AT = "paceCutAt";
const REPORT_PREFIX = "paceReport_";
/** The item outlives its last write by a day: then a new fleet learns anew. */
const TTL_SECONDS = 86_400;

type Item = Record<string, AttributeValue>;

export class DynamoPaceStore implements PaceStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBClient; table: string }) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async report(instance: string, report: PaceReport, forget: string[]): Promise<FleetView> {
    const names: Record<string, string> = {
      "#report": REPORT_PREFIX + instance,
      "#ttl": LEDGER_TTL_ATTRIBUTE,
    };
    forget.forEach((gone, i) => {
      names[`#gone${i}`] = REPORT_PREFIX + gone;
    });
    const remove = forget.map((_, i) => `#gone${i}`);
    const { Attributes } = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: PACE_ITEM_KEY } },
        UpdateExpression: [
          "SET #report = :report, #ttl = :ttl",
          remove.length > 0 ? `REMOVE ${remove.join(", ")}` : "",
        ]
          .filter(Boolean)
          .join(" "),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ":report": {
            M: {
              at: { N: String(report.at) },
              sent: { N: String(report.sent) },
              accepted: { N: String(report.accepted) },
              answered: { N: String(report.answered) },
            },
          },
          ":ttl": { N: String(ttl(report.at)) },
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return viewOf(Attributes ?? {});
  }

  async cut(limit: number, at: number, after: number): Promise<FleetView> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [LEDGER_KEY]: { S: PACE_ITEM_KEY } },
          UpdateExpression: `SET ${LIMIT} = :limit, ${CUT_AT} = :at, #ttl = :ttl`,
          // Unless another instance cut since (it answered the same refusals) with a higher limit: of
          // the instances that measured the same second, the one that saw more of it measured best.
          ConditionExpression: `attribute_not_exists(${CUT_AT}) OR ${CUT_AT} <= :after OR ${LIMIT} < :limit`,
          ExpressionAttributeNames: { "#ttl": LEDGER_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":limit": { N: String(limit) },
            ":at": { N: String(at) },
            ":after": { N: String(after) },
            ":ttl": { N: String(ttl(at)) },
          },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return viewOf(Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return viewOf(error.Item ?? (await this.#read()));
    }
  }

  async #read(): Promise<Item> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: PACE_ITEM_KEY } },
        ConsistentRead: true,
      }),
    );
    return Item ?? {};
  }
}

function viewOf(item: Item): FleetView {
  const limit = numberOf(item[LIMIT]);
  const cutAt = numberOf(item[CUT_AT]);
  const reports: FleetView["reports"] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(REPORT_PREFIX) || value.M === undefined) continue;
    const [at, sent, accepted, answered] = [value.M.at, value.M.sent, value.M.accepted, value.M.answered].map(
      numberOf,
    );
    if (at !== undefined && sent !== undefined && accepted !== undefined && answered !== undefined)
      reports.push({ instance: name.slice(REPORT_PREFIX.length), at, sent, accepted, answered });
  }
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(cutAt === undefined ? {} : { cutAt }),
    reports,
  };
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  const n = value?.N === undefined ? Number.NaN : Number(value.N);
  return Number.isFinite(n) ? n : undefined;
}

function ttl(at: number): number {
  return Math.floor(at / 1000) + TTL_SECONDS;
}
