/**
 * The applied-updates ledger the replay asks "is this superseded?", when one is configured:
 * `--ledger-table` (with `--ledger-endpoint-url` for a non-AWS endpoint such as the local
 * dynalite), or the ledger a running `spot-meta dev` announced.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoLedger } from "../ledger/dynamo-ledger.ts";
import type { AppliedVersionReader } from "../ledger/table.ts";
import { readDevState } from "../local/dev-state.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/local-aws.ts";
import type { DlqTarget } from "./dlq-target.ts";
import { isLoopback, TARGET_ORIGINS } from "./target.ts";

export interface LedgerFlags {
  ledgerTable?: string;
  ledgerEndpointUrl?: string;
  region?: string;
}

/**
 * The applied-updates ledger the replay asks "is this superseded?", when one is configured:
 * `--ledger-table` (with `--ledger-endpoint-url` for a non-AWS endpoint such as the local
 * dynalite). Without a table, undefined: the replay then only knows superseding DLQ messages.
 */
export function ledgerReaderFor(flags: LedgerFlags): AppliedVersionReader | undefined {
  const ledger = ledgerClientFor(flags);
  return ledger === undefined ? undefined : new DynamoLedger(ledger);
}

/** The DynamoDB client and table of the ledger the flags name, if they name one. */
export function ledgerClientFor(flags: LedgerFlags): { client: DynamoDBClient; table: string } | undefined {
  if (flags.ledgerTable === undefined) return undefined;
  const local = flags.ledgerEndpointUrl !== undefined && isLoopback(flags.ledgerEndpointUrl);
  const region = flags.region ?? (local ? LOCAL_REGION : undefined);
  const client = new DynamoDBClient({
    ...(flags.ledgerEndpointUrl === undefined ? {} : { endpoint: flags.ledgerEndpointUrl }),
    ...(region === undefined ? {} : { region }),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return { client, table: flags.ledgerTable };
}

/** The ledger of the running `spot-meta dev`, when the queues came from it and it announced one. */
export function devLedgerFlags(flags: LedgerFlags, target: DlqTarget): LedgerFlags {
  if (flags.ledgerTable !== undefined || target.origin !== TARGET_ORIGINS.dev) return flags;
  const dev = readDevState();
  if (dev?.ledgerTable === undefined || dev.ledgerEndpoint === undefined) return flags;
  return { ledgerTable: dev.ledgerTable, ledgerEndpointUrl: dev.ledgerEndpoint, region: dev.region };
}
