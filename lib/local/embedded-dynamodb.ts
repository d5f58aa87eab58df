/**
 * DynamoDB's API in this process (dynalite, in memory), holding the applied-updates ledger's table
 * with the key schema and TTL the CDK stack gives it.
 */
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { LEDGER_KEY, LEDGER_TTL_ATTRIBUTE } from "../lambda/ledger/table.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./local-aws.ts";

export interface EmbeddedDynamoDb {
  endpoint: string;
  table: string;
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startEmbeddedDynamoDb(table = "spot-order-metadata-ledger"): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = () => new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const admin = client();
  await admin.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: LEDGER_KEY, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: LEDGER_KEY, AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  // dynalite accepts the TTL setting without expiring items; it is here so the table matches the stack's.
  await admin
    .send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: LEDGER_TTL_ATTRIBUTE, Enabled: true },
      }),
    )
    .catch(() => undefined);
  admin.destroy();
  return {
    endpoint,
    table,
    client,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
