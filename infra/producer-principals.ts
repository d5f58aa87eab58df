/**
 * The `producerPrincipals` setting: who in other AWS accounts may send to the source queue, as
 * account ids or IAM role ARNs. Apart from the stack so that the configuration's schema does not
 * load the CDK.
 */
import * as z from "zod";

const ACCOUNT_ID = /^\d{12}$/;
// A role's path and name may hold letters, digits and +=,.@_- (IAM's own limits).
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** Whether a producer principal names a whole account (else it is a role's ARN). */
export function isAccountId(principal: string): boolean {
  return ACCOUNT_ID.test(principal);
}

/**
 * Account ids or role ARNs, each once. A `-c spotOrderMetadata.producerPrincipals=…` value arrives
 * as a string: it is read as a comma-separated list. Wildcards, users and services are refused: the
 * queue policy names exactly who may send.
 */
export const producerPrincipalsSchema = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value
          .split(",")
          .map((part) => part.trim())
          .filter((part) => part !== "")
      : value,
  z
    .array(
      z.string().refine((principal) => isAccountId(principal) || ROLE_ARN.test(principal), {
        message: "must be a 12-digit account id or an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
      }),
      { error: "must be a list of account ids and role ARNs" },
    )
    .refine((principals) => new Set(principals).size === principals.length, {
      message: "names a principal more than once",
    }),
);
