/**
 * The applied-updates ledger a command reads, found by one rule for every command (what a person
 * names wins over what is discovered): `--ledger-table` (with `--ledger-endpoint-url` for a non-AWS
 * endpoint such as the local dynalite), else `SPOT_META_LEDGER_TABLE`, else the `LedgerTableName`
 * of the `--outputs` file, else the ledger a running `spot-meta dev` announced — the last only when
 * the command's queues are the dev stack's too, or it uses none: another stack's updates never
 * reach the dev stack's ledger.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { isLoopbackUrl } from "../../lambda/loopback.ts";
import { readDevState } from "../../local/dev-state.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/local-aws.ts";
import { appliedVersions } from "../../tools/applied-versions.ts";
import type { AppliedVersionLookup } from "../../tools/dlq/superseded.ts";
import { watchFailures } from "./aws-failures.ts";
import type { LedgerFlags } from "./options.ts";
import { readStackOutputs, TARGET_ORIGINS } from "./target.ts";

export type { LedgerFlags } from "./options.ts";

/** A ledger found: its table, how to reach it, and where it came from. */
export interface Ledger extends LedgerFlags {
  ledgerTable: string;
  origin: "--ledger-table" | "SPOT_META_LEDGER_TABLE" | "--outputs" | "spot-meta dev";
}

/**
 * @param queuesFrom where the command's queues came from (a target's `origin`); undefined when it uses none
 * @returns undefined when no ledger is named or discovered
 * @throws TargetNotFoundError when the outputs file cannot be read
 */
export function resolveLedger(
  flags: LedgerFlags & { outputs?: string },
  queuesFrom: string | undefined,
  options: { env?: Record<string, string | undefined>; devStateFile?: string } = {},
): Ledger | undefined {
  const env = options.env ?? process.env;
  const { region } = flags;
  if (flags.ledgerTable !== undefined)
    return { ...flags, ledgerTable: flags.ledgerTable, origin: "--ledger-table" };
  // An empty variable is an unset one.
  if (env.SPOT_META_LEDGER_TABLE)
    return { ledgerTable: env.SPOT_META_LEDGER_TABLE, region, origin: "SPOT_META_LEDGER_TABLE" };
  const fromOutputs =
    flags.outputs === undefined ? undefined : readStackOutputs(flags.outputs).LedgerTableName;
  if (typeof fromOutputs === "string" && fromOutputs !== "")
    return { ledgerTable: fromOutputs, region, origin: "--outputs" };
  if (queuesFrom !== undefined && queuesFrom !== TARGET_ORIGINS.dev) return undefined;
  const dev = readDevState(options.devStateFile);
  if (dev?.ledgerTable === undefined || dev.ledgerEndpoint === undefined) return undefined;
  return {
    ledgerTable: dev.ledgerTable,
    ledgerEndpointUrl: dev.ledgerEndpoint,
    region: dev.region,
    origin: "spot-meta dev",
  };
}

/**
 * Reads the full applied versions (with their tie-break), 100 orders a `BatchGetItem`, for
 * `purge --superseded`, `replay` and `peek`; undefined without a ledger.
 */
export function appliedVersionLookupFor(
  ledger: LedgerFlags | undefined,
): { lookup: AppliedVersionLookup; table: string } | undefined {
  const client = ledger === undefined ? undefined : ledgerClientFor(ledger);
  if (client === undefined) return undefined;
  return { lookup: (ids) => appliedVersions(client.client, client.table, ids), table: client.table };
}

/** The DynamoDB client and table of the ledger, if there is one. */
export function ledgerClientFor(
  ledger: LedgerFlags | undefined,
): { client: DynamoDBClient; table: string } | undefined {
  if (ledger?.ledgerTable === undefined) return undefined;
  const local = ledger.ledgerEndpointUrl !== undefined && isLoopbackUrl(ledger.ledgerEndpointUrl);
  const region = ledger.region ?? (local ? LOCAL_REGION : undefined);
  const client = new DynamoDBClient({
    ...(ledger.ledgerEndpointUrl === undefined ? {} : { endpoint: ledger.ledgerEndpointUrl }),
    ...(region === undefined ? {} : { region }),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return {
    client: watchFailures(client, `the ledger table ${ledger.ledgerTable}`),
    table: ledger.ledgerTable,
  };
}
