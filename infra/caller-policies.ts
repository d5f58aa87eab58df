/**
 * What callers outside the stack may do, and no more. A producer (the typed producer in
 * lib/tools/producer.ts, `spot-meta import`) and an operator (`spot-meta dlq …`, `spot-meta import`) get
 * exactly the API actions their commands make, on the resources they make them on.
 * test/infra/caller-policies.test.ts records those calls against the local stack and fails when a
 * command makes a call its policy does not allow, or a policy allows one no command makes.
 */
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import {
  AccountPrincipal,
  ArnPrincipal,
  type Grant,
  type IGrantable,
  type IPrincipal,
  PolicyStatement,
} from "aws-cdk-lib/aws-iam";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { isAccountId } from "./producer-principals.ts";

/**
 * A producer's actions on the source queue. `spot-meta import` first checks that the queue answers
 * (GetQueueAttributes), so that a wrong URL fails before any row is read; the producer sends with
 * SendMessageBatch, which IAM authorizes as sqs:SendMessage.
 */
const PRODUCER_ACTIONS = ["sqs:GetQueueAttributes", "sqs:SendMessage"] as const;

/**
 * An operator's actions, by resource.
 * - The DLQ: its count and ARN (GetQueueAttributes); reading it through, holding each message and
 *   releasing it at the end (ReceiveMessage, ChangeMessageVisibilityBatch); removing what was
 *   replayed or purged (DeleteMessageBatch); `dlq redrive`'s move tasks, which SQS addresses by
 *   their source queue, the DLQ (Start, List, Cancel).
 * - The source queue: the destructive commands' check of its redrive policy, and `dlq replay`'s and
 *   `import`'s sends.
 * - The ledger: `dlq replay`'s superseded check reads one item per order.
 *
 * A move task also receives from and deletes on the DLQ and sends to the source queue with the
 * caller's permissions: the actions above already allow those.
 */
const OPERATOR_ACTIONS = {
  dlq: [
    "sqs:CancelMessageMoveTask",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ListMessageMoveTasks",
    "sqs:ReceiveMessage",
    "sqs:StartMessageMoveTask",
  ],
  source: ["sqs:GetQueueAttributes", "sqs:SendMessage"],
  ledger: ["dynamodb:BatchGetItem"],
} as const;

/** {@link PRODUCER_ACTIONS} on the source queue, for an identity policy. */
export function producerStatement(queue: IQueue): PolicyStatement {
  return new PolicyStatement({ actions: [...PRODUCER_ACTIONS], resources: [queue.queueArn] });
}

/** Lets a principal of this app produce: {@link PRODUCER_ACTIONS} on the source queue. */
export function grantProduce(queue: IQueue, grantee: IGrantable): Grant {
  return queue.grant(grantee, ...PRODUCER_ACTIONS);
}

/**
 * Lets producers in other accounts send: {@link PRODUCER_ACTIONS} for the named principals on the
 * source queue's own policy. A managed policy of this account cannot be attached there; their
 * account still has to allow the same actions to the role that sends.
 */
export function allowCrossAccountProducers(queue: IQueue, principals: readonly string[]): void {
  if (principals.length === 0) return;
  queue.addToResourcePolicy(
    new PolicyStatement({
      sid: "CrossAccountProducers",
      principals: principals.map(producerPrincipal),
      actions: [...PRODUCER_ACTIONS],
      resources: [queue.queueArn],
    }),
  );
}

/** An account id (its root: whatever its own policies then allow) or a role ARN as a principal. */
function producerPrincipal(principal: string): IPrincipal {
  return isAccountId(principal) ? new AccountPrincipal(principal) : new ArnPrincipal(principal);
}

export interface OperatorResources {
  source: IQueue;
  dlq: IQueue;
  /** The applied-updates ledger; without it, no DynamoDB action is granted. */
  ledgerTable?: ITable | undefined;
}

/** {@link OPERATOR_ACTIONS}, one statement per resource. */
export function operatorStatements(resources: OperatorResources): PolicyStatement[] {
  const statements = [
    new PolicyStatement({ actions: [...OPERATOR_ACTIONS.dlq], resources: [resources.dlq.queueArn] }),
    new PolicyStatement({ actions: [...OPERATOR_ACTIONS.source], resources: [resources.source.queueArn] }),
  ];
  if (resources.ledgerTable !== undefined) {
    statements.push(
      new PolicyStatement({
        actions: [...OPERATOR_ACTIONS.ledger],
        resources: [resources.ledgerTable.tableArn],
      }),
    );
  }
  return statements;
}
