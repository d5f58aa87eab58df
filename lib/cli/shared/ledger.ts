/**
 * The applied-updates ledger the DLQ commands ask "is this superseded?", when one is configured:
 * `--ledger-table` (with `--ledger-endpoint-url` for a non-AWS endpoint such as the local
 * dynalite), or the ledger a running `spot-meta dev` announced.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { isLoopbackUrl } from "../../lambda/loopback.ts";
import { readDevState } from "../../local/dev-state.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/local-aws.ts";
import { appliedVersions } from "../../tools/applied-versions.ts";
import type { AppliedVersionLookup } from "../../tools/dlq/superseded.ts";
import { watchFailures } from "./aws-failures.ts";
import type { DlqTarget } from "./dlq-target.ts";
import { TARGET_ORIGINS } from "./target.ts";

export interface LedgerFlags {
  ledgerTable?: string;
  ledgerEndpointUrl?: string;
  region?: string;
}

/**
 * Reads the full applied versions (with their tie-break), 100 orders a `BatchGetItem`, for
 * `purge --superseded` and `peek`; undefined without a table.
 */
export function appliedVersionLookupFor(
  flags: LedgerFlags,
): { lookup: AppliedVersionLookup; table: string } | undefined {
  const ledger = ledgerClientFor(flags);
  if (ledger === undefined) return undefined;
  return { lookup: (ids) => appliedVersions(ledger.client, ledger.table, ids), table: ledger.table };
}

/** The DynamoDB client and table of the ledger the flags name, if they name one. */
export function ledgerClientFor(flags: LedgerFlags): { client: DynamoDBClient; table: string } | undefined {
  if (flags.ledgerTable === undefined) return undefined;
  const local = flags.ledgerEndpointUrl !== undefined && isLoopbackUrl(flags.ledgerEndpointUrl);
  const region = flags.region ?? (local ? LOCAL_REGION : undefined);
  const client = new DynamoDBClient({
    ...(flags.ledgerEndpointUrl === undefined ? {} : { endpoint: flags.ledgerEndpointUrl }),
    ...(region === undefined ? {} : { region }),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return { client: watchFailures(client, `the ledger table ${flags.ledgerTable}`), table: flags.ledgerTable };
}

/** The ledger of the running `spot-meta dev`, when the queues came from it and it announced one. */
export function devLedgerFlags(flags: LedgerFlags, target: DlqTarget): LedgerFlags {
  if (flags.ledgerTable !== undefined || target.origin !== TARGET_ORIGINS.dev) return flags;
  const dev = readDevState();
  if (dev?.ledgerTable === undefined || dev.ledgerEndpoint === undefined) return flags;
  return { ledgerTable: dev.ledgerTable, ledgerEndpointUrl: dev.ledgerEndpoint, region: dev.region };
}
