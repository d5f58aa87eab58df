/**
 * The Secrets Manager secret holding the Spot token: an existing one (by name or ARN), or one the
 * stack creates empty for an operator to fill, and retains when the stack is deleted or replaces it.
 * The token's value never passes through the stack.
 */
import { RemovalPolicy, Validations } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { type CfnSecret, type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";

/**
 * The existing secret named by `nameOrArn`, or a new empty secret, encrypted with `kmsKeyArn` when
 * given (a customer-managed key; for an existing secret the stack grants kms:Decrypt on it itself).
 * @throws {Error} (from CDK) when an ARN is malformed.
 */
export function spotTokenSecret(
  scope: Construct,
  id: string,
  nameOrArn: string | undefined,
  kmsKeyArn?: string,
): ISecret {
  if (nameOrArn !== undefined) {
    if (!nameOrArn.startsWith("arn:")) return Secret.fromSecretNameV2(scope, id, nameOrArn);
    // A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one gets `-??????` in policies.
    return /-[A-Za-z0-9]{6}$/.test(nameOrArn)
      ? Secret.fromSecretCompleteArn(scope, id, nameOrArn)
      : Secret.fromSecretPartialArn(scope, id, nameOrArn);
  }
  const encryptionKey = kmsKeyArn === undefined ? undefined : Key.fromKeyArn(scope, `${id}Key`, kmsKeyArn);
  const secret = new Secret(scope, id, {
    description: "Spot API token used by the order metadata updater (the bare token, no 'Token ' prefix)",
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
  });
  // CDK fills a new secret with a random value by default; an empty secret makes the missing token
  // obvious (the handler reports a systemic failure) instead of sending a random one to Spot.
  (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride("GenerateSecretString");
  // It holds data: the token is issued once in Spot's dashboard, and a stack deleted or a change that
  // replaces the secret must not take it along (docs/deploying.md, "Tear down").
  secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(secret).acknowledge({
    id: "AwsSolutions-SMG4",
    reason:
      "The secret holds a token issued by Spot's dashboard; Secrets Manager cannot rotate a third-party token. Operators replace it with put-secret-value when Spot issues a new one.",
  });
  return secret;
}
