/**
 * Reads the ledger's applied versions for many orders at once (`BatchGetItem`, 100 keys a call,
 * eventually consistent: half a read unit an order), for the operators' tools that follow an import.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from "@aws-sdk/client-dynamodb";
import { fullJitterMs } from "../lambda/backoff.ts";
import { UnexpectedAnswerError } from "../lambda/errors.ts";
import { LedgerAttribute as A, LEDGER_KEY } from "../lambda/ledger/table.ts";
import { parseVersionNumber, type Version } from "../lambda/processor/version.ts";

/** DynamoDB's limit of keys per `BatchGetItem`. */
export const MAX_KEYS_PER_READ = 100;

/** Attempts at keys DynamoDB left unprocessed (it does under throttling) before giving up. */
const UNPROCESSED_ATTEMPTS = 8;

/**
 * The applied version of each order the ledger knows, among at most {@link MAX_KEYS_PER_READ}.
 * @throws Error when DynamoDB keeps leaving keys unprocessed, or refuses the call
 */
export async function appliedVersions(
  client: DynamoDBClient,
  table: string,
  publicIds: readonly string[],
): Promise<Map<string, Version>> {
  const found = new Map<string, Version>();
  let request: Record<string, KeysAndAttributes> | undefined = {
    [table]: {
      Keys: [...new Set(publicIds)].map((id) => ({ [LEDGER_KEY]: { S: id } })),
      ProjectionExpression: `${LEDGER_KEY}, ${A.appliedOrder}`,
    },
  };
  for (let attempt = 1; request !== undefined && Object.keys(request).length > 0; attempt++) {
    if (attempt > UNPROCESSED_ATTEMPTS)
      throw new UnexpectedAnswerError(`the ledger ${table} kept leaving keys unread`);
    if (attempt > 1) await sleep(fullJitterMs(attempt, 100, 2_000));
    const answer: BatchGetItemCommandOutput = await client.send(
      new BatchGetItemCommand({ RequestItems: request }),
    );
    for (const item of answer.Responses?.[table] ?? []) {
      const id = item[LEDGER_KEY]?.S;
      const order = item[A.appliedOrder]?.N;
      if (id !== undefined && order !== undefined) found.set(id, parseVersionNumber(order));
    }
    request = answer.UnprocessedKeys;
  }
  return found;
}
