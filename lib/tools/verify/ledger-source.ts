/**
 * The orders to check against what the ledger says was applied last: every item of the ledger (a
 * paginated Scan reading only the fields verify needs), or the orders of an `--ids` file.
 */

import { readFile } from "node:fs/promises";
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { LedgerAttribute as A, LEDGER_KEY } from "../../lambda/ledger/table.ts";
import { parseVersionNumber } from "../../lambda/processor/version.ts";
import { idLines } from "../id-file.ts";
import type { Expected, Step } from "./types.ts";

/** Items a Scan page reads: small pages keep a resumed run close to where it stopped. */
const PAGE_SIZE = 100;

const PROJECTION = [
  LEDGER_KEY,
  A.appliedDigest,
  A.appliedKeys,
  A.appliedOrder,
  A.appliedAt,
  A.appliedMessageId,
];

type Item = Record<string, AttributeValue>;

export interface LedgerTable {
  client: DynamoDBClient;
  table: string;
}

/**
 * Every order of the ledger with an applied version, after the item `after` (a resumed run's
 * position), each step's position being its own key.
 */
export async function* scanSteps(
  ledger: LedgerTable,
  after: Record<string, unknown> | undefined,
): AsyncGenerator<Step> {
  let start = after as Item | undefined;
  do {
    const page = await ledger.client.send(
      new ScanCommand({
        TableName: ledger.table,
        Limit: PAGE_SIZE,
        ProjectionExpression: PROJECTION.map((_, i) => `#p${i}`).join(", "),
        ExpressionAttributeNames: Object.fromEntries(PROJECTION.map((name, i) => [`#p${i}`, name])),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    const items = page.Items ?? [];
    for (const [i, item] of items.entries()) {
      const key = { [LEDGER_KEY]: item[LEDGER_KEY] as AttributeValue };
      // The last item of the last page ends the Scan: a resumed run has nothing left to read.
      const last = i === items.length - 1 && page.LastEvaluatedKey === undefined;
      yield { ...stepOf(item), after: last ? null : key };
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
}

/**
 * The orders of a file of ids (one a line; blank lines and `#` comments skipped, as `idLines` reads
 * them), from line index `from` on, each read from the ledger.
 */
export async function* idSteps(ledger: LedgerTable, file: string, from: number): AsyncGenerator<Step> {
  const ids = idLines(await readFile(file, "utf8"));
  for (let index = from; index < ids.length; index++) {
    const publicId = ids[index];
    if (publicId === undefined) {
      yield { after: index + 1 };
      continue;
    }
    const { Item } = await ledger.client.send(
      new GetItemCommand({
        TableName: ledger.table,
        Key: { [LEDGER_KEY]: { S: publicId } },
        ProjectionExpression: PROJECTION.map((_, i) => `#p${i}`).join(", "),
        ExpressionAttributeNames: Object.fromEntries(PROJECTION.map((name, i) => [`#p${i}`, name])),
      }),
    );
    // An order the ledger does not know has nothing applied to compare with: counted as unknown.
    const step = Item === undefined ? unknownStep(publicId) : stepOf(Item);
    yield { ...step, after: index + 1 };
  }
}

/** The ledger's item as an order to check (none when it holds no applied version: a lease only). */
function stepOf(item: Item): Omit<Step, "after"> {
  const publicId = item[LEDGER_KEY]?.S;
  const order = item[A.appliedOrder]?.N;
  if (publicId === undefined || order === undefined) return {};
  const keys = item[A.appliedKeys]?.M;
  const digest = item[A.appliedDigest]?.S;
  const expected: Expected = {
    kind: "applied",
    version: parseVersionNumber(order),
    messageId: item[A.appliedMessageId]?.S ?? "unknown",
    ...(digest === undefined ? {} : { digest }),
    ...(keys === undefined
      ? {}
      : { keys: Object.fromEntries(Object.entries(keys).map(([name, value]) => [name, value.S ?? ""])) }),
  };
  return { subject: { publicId, expected } };
}

function unknownStep(publicId: string): Omit<Step, "after"> {
  return {
    subject: {
      publicId,
      expected: { kind: "applied", version: { issuedAt: 0, tieBreak: 0 }, messageId: "none" },
    },
  };
}
