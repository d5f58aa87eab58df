/**
 * The applied-updates ledger: per order, the newest `issuedAt` applied and a short lease while a call
 * is in flight, so an older update never lands after a newer one across batches, retries and replays.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { LEDGER_KEY, LEDGER_TTL_ATTRIBUTE } from "../lib/lambda/ledger/table.ts";

/**
 * The only calls the handler makes on the ledger: single-item reads, conditional updates, and a
 * short scan for one order recorded as applied, when a run of 404s asks whether the base URL is right.
 */
const LEDGER_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Scan"];

export class Ledger extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: { tableName: string }) {
    super(scope, id);
    this.table = new Table(this, "Table", {
      // Named, so that a change that would replace the table fails the deploy instead of starting an
      // empty ledger; protected, so that it is not deleted by hand or with the stack.
      tableName: props.tableName,
      deletionProtection: true,
      partitionKey: { name: LEDGER_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      // Forgetting what was applied would let a replayed older update overwrite a newer one.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Lets the grantee read and conditionally write single items, and nothing else. */
  grantReadWriteItems(grantee: IGrantable) {
    return this.table.grant(grantee, ...LEDGER_ACTIONS);
  }
}
