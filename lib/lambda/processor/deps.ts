/**
 * What the processor is given (and what it fills in), apart from the processor so that the pieces
 * that use it (the invocation, the report) do not import the processor back.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { HandlerConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { AttemptAnswer, BaseUrlProbe } from "../spot/client.ts";
import type { SpotOutcome } from "../spot/outcome.ts";
import type { BaseUrlCheck } from "./base-url-check.ts";
import type { OrderingGuard } from "./ordering.ts";
import type { PaceStore } from "./pace-store.ts";
import type { SpotHealth } from "./spot-health.ts";

/** The calls the processor makes to Spot; `SpotClient` is the real one. */
interface SpotUpdater {
  updateMetadata(
    publicId: string,
    metadata: Record<string, unknown>,
    options?: {
      deadline?: number;
      beforeRetry?: () => Promise<boolean>;
      onAnswer?: (answer: AttemptAnswer) => void;
    },
  ): Promise<SpotOutcome>;
  probeBaseUrl(knownOrder: string | undefined, options?: { deadline?: number }): Promise<BaseUrlProbe>;
}

/** What Lambda's context gives that the processor uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  /** Lambda's id of the invocation: every log line of the invocation carries it. */
  awsRequestId?: string;
}

export interface ProcessorDeps {
  config: HandlerConfig;
  sqs: SQSClient;
  spot: SpotUpdater;
  logger: Logger;
  /** The applied-updates ledger; without it only the newest-in-batch rule holds. */
  ordering?: OrderingGuard;
  /** Where the instances learn one pace together (the ledger's table); without it each learns alone. */
  paceStore?: PaceStore;
  /** Called on a systemic failure, e.g. to read the token's secret again. */
  onSystemicFailure?: () => void;
  /** SQS endpoint for the source queue's URL, when not AWS's (the local stack). */
  sqsEndpoint?: string;
  random?: () => number;
}

export type ResolvedDeps = ProcessorDeps &
  Required<Pick<ProcessorDeps, "ordering" | "random">> & {
    /** Held by the processor: what its invocations saw of Spot tells an outage from a message's failure. */
    health: SpotHealth;
    /** Held by the processor: one good answer vouches for the base URL across invocations. */
    baseUrlCheck: BaseUrlCheck;
  };
