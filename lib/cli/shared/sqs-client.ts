/**
 * The SQS client for a target queue. Apart from lib/cli/shared/target.ts so that finding the queue does
 * not load the AWS SDK (the import command finds it in its main thread and sends from a worker).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/local-aws.ts";
import { watchFailures } from "./aws-failures.ts";
import { regionOfQueueUrl } from "./queue-endpoint.ts";
import type { ClientSettings } from "./target.ts";

/**
 * An SQS client for the queue: its endpoint, its region (else the queue URL's, else the AWS
 * configuration's; a local endpoint needs none), and placeholder credentials for a local endpoint.
 * Its failures are watched for the commands' one-line errors (aws-failures.ts).
 */
export function sqsClientFor(target: ClientSettings & { queueUrl: string }): SQSClient {
  const region =
    target.region ??
    regionOfQueueUrl(target.queueUrl) ??
    (target.localCredentials ? LOCAL_REGION : undefined);
  const client = new SQSClient({
    ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(target.localCredentials ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return watchFailures(client, `the queue ${target.queueUrl}`);
}
