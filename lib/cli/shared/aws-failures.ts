/**
 * The one line a `spot-meta` command prints when an AWS call fails for a reason the operator can
 * fix: a queue that does not exist (which one), no region (how to give one). The SDK's own errors
 * say neither: "The specified queue does not exist." names no queue, and "Region is missing" is a
 * plain `Error` thrown before any request. So the CLI's clients are watched ({@link watchFailures}):
 * a failed call's queue is remembered beside its error, and a missing region becomes a
 * {@link RegionMissingError} before the call is made. The SDK's errors otherwise pass unchanged
 * (the importer's retry decision reads their kind).
 */
import { SpotMetaError } from "../../lambda/errors.ts";

/** No AWS region is configured for a client: none given, none in the queue URL, none in the AWS configuration. */
export class RegionMissingError extends SpotMetaError {
  override name = "RegionMissingError";
}

/** How to give a region, for every command that takes `--region`. */
const HOW_TO_GIVE_A_REGION = "pass --region REGION or set AWS_REGION";

/** The queue each failed call named, by its error (an SDK error object is never reused). */
const queueOfFailure = new WeakMap<object, string>();

/** A call, as a middleware of the SDK's initialize step sees it. */
type Call = (args: { input: object }) => Promise<unknown>;

/** What {@link watchFailures} needs of a client: SQS's and DynamoDB's both have it. */
interface WatchedClient {
  middlewareStack: {
    add(middleware: (next: Call) => Call, options: { step: "initialize"; name: string }): void;
  };
  config: { region: () => Promise<string> };
}

/**
 * Watches a client's calls for the CLI's error lines: checks the region once, before the first
 * call, and remembers the queue URL of a failed call.
 * @param what the client's purpose in the region error (`the queues`, `the ledger`)
 */
export function watchFailures<C extends WatchedClient>(client: C, what: string): C {
  let regionKnown = false;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!regionKnown) {
        try {
          await client.config.region();
          regionKnown = true;
        } catch (error) {
          // The region provider fails only when no source names a region.
          throw new RegionMissingError(`no AWS region for ${what}: ${HOW_TO_GIVE_A_REGION}`, {
            cause: error,
          });
        }
      }
      try {
        return await next(args);
      } catch (error) {
        const queueUrl = (args.input as { QueueUrl?: unknown }).QueueUrl;
        if (typeof error === "object" && error !== null && typeof queueUrl === "string") {
          queueOfFailure.set(error, queueUrl);
        }
        throw error;
      }
    },
    { step: "initialize", name: "spotMetaCliFailures" },
  );
  return client;
}

/**
 * SQS's name for a queue that does not exist: its JSON protocol's, then its query protocol's. By
 * name, not by the SDK's class: the runner reads this for every command, and a command that calls
 * no AWS (`import`'s main thread, a usage error) then loads no AWS SDK.
 */
const MISSING_QUEUE = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);

function isMissingQueue(error: Error): boolean {
  return MISSING_QUEUE.has(error.name);
}

/**
 * The command's error in one line, when it is one the operator can act on: the project's own
 * refusals, a queue that does not exist, a queue whose endpoint does not answer (which one), and
 * any other error AWS answered (access denied, a bad
 * parameter). Undefined for anything else: a bug, which keeps its stack.
 */
export function describeFailure(error: unknown): string | undefined {
  if (error instanceof SpotMetaError) return error.message;
  if (!(error instanceof Error)) return undefined;
  if (isMissingQueue(error)) {
    const queueUrl = queueOfFailure.get(error);
    return queueUrl === undefined
      ? `a queue does not exist (${error.name}): check the queue URLs, their region and their account`
      : `the queue ${queueUrl} does not exist (${error.name}): check the URL, its region and its account`;
  }
  const unreachable = networkCode(error);
  const queueUrl = queueOfFailure.get(error);
  if (unreachable !== undefined && queueUrl !== undefined) {
    return `cannot reach the queue ${queueUrl} (${unreachable}: ${error.message}): check the URL and that its endpoint is up`;
  }
  if ("$metadata" in error) return `${error.name}: ${error.message}`;
  return undefined;
}

/** The errors that say nothing answered at the endpoint: no server, no such host, no route. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

function networkCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && NETWORK_CODES.has(code) ? code : undefined;
}
