/**
 * Where a queue URL's requests go. A client pointed at an endpoint asks it for the queue by name,
 * and fauxqs (the local stack) answers for a queue by its name whatever host the URL names: a
 * client left on one endpoint reads that endpoint's queue of the same name. So the client's
 * endpoint comes from the URL a person typed, and two queues are used together only when their
 * URLs name one endpoint. No AWS SDK here: the CLI resolves its queues before loading it.
 */
import { isLoopbackUrl } from "../../lambda/loopback.ts";

/** `sqs.<region>.amazonaws.com` and the legacy `<region>.queue.amazonaws.com` (and their `.cn`). */
const AWS_SQS_HOST = /^(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?$/;

/** `https://sqs.eu-west-1.amazonaws.com/123/q` → `eu-west-1`; undefined for any other URL. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  const match = AWS_SQS_HOST.exec(hostOf(queueUrl) ?? "");
  return match === null ? undefined : (match[1] ?? match[2]);
}

/**
 * The endpoint a client needs for this URL when none is given: undefined for AWS's own (the SDK
 * finds it from the region, FIPS and dual-stack settings included), else the URL's origin.
 */
export function ownEndpointOf(queueUrl: string): string | undefined {
  if (regionOfQueueUrl(queueUrl) !== undefined) return undefined;
  try {
    return new URL(queueUrl).origin;
  } catch {
    return undefined;
  }
}

/** Whether the two URLs' requests go to one endpoint (AWS's, by region; `localhost` is `127.0.0.1`). */
export function sameEndpoint(a: string, b: string): boolean {
  return endpointKey(a) === endpointKey(b);
}

function endpointKey(queueUrl: string): string {
  const region = regionOfQueueUrl(queueUrl);
  if (region !== undefined) return `aws:${region}`;
  try {
    const url = new URL(queueUrl);
    return isLoopbackUrl(url) ? `loopback:${url.port}` : url.origin;
  } catch {
    return queueUrl;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
