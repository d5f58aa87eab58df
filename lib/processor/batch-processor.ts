/**
 * The heart of the handler: applies one SQS batch of updates to Spot and reports, per record, what
 * the queue must keep (a partial batch response). A bad record never fails its neighbours.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { HandlerConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { SpotOutcome } from "../spot/outcome.ts";
import { isFifoRecord, queueUrlFromArn, receiveCount } from "../sqs/records.ts";
import type { Decided } from "./decision.ts";
import { Invocation } from "./invocation.ts";
import { noOrderingGuard, type OrderingGuard } from "./ordering.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { planBatch } from "./plan.ts";
import { reportBatch } from "./report.ts";
import { type Settlement, settle } from "./settle.ts";

/** The one call the processor makes to Spot; `SpotClient` is the real one. */
export interface SpotUpdater {
  updateMetadata(
    publicId: string,
    metadata: Record<string, unknown>,
    options?: { deadline?: number; beforeRetry?: () => Promise<void> },
  ): Promise<SpotOutcome>;
}

/** What Lambda's context gives that the processor uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export interface ProcessorDeps {
  config: HandlerConfig;
  sqs: SQSClient;
  spot: SpotUpdater;
  logger: Logger;
  /** The applied-updates ledger; without it only the newest-in-batch rule holds. */
  ordering?: OrderingGuard;
  /** Called on a 401/403, e.g. to read the token's secret again. */
  onSystemicFailure?: () => void;
  /** Where the EMF metrics line goes. @default stdout */
  writeMetrics?: (line: string) => void;
  /** The `Service` dimension of the metrics. @default the Lambda function's name */
  service?: string;
  /** SQS endpoint for the source queue's URL, when not AWS's (the local stack). */
  sqsEndpoint?: string;
  random?: () => number;
}

export type ResolvedDeps = ProcessorDeps &
  Required<Pick<ProcessorDeps, "ordering" | "writeMetrics" | "service" | "random">>;

export class BatchProcessor {
  readonly #deps: ResolvedDeps;
  /** One per processor (a Lambda instance): a new invocation must not restart the count. */
  readonly #pacer: Pacer;

  constructor(deps: ProcessorDeps) {
    this.#deps = {
      ...deps,
      ordering: deps.ordering ?? noOrderingGuard,
      writeMetrics: deps.writeMetrics ?? ((line) => process.stdout.write(`${line}\n`)),
      service: deps.service ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "spot-order-metadata",
      random: deps.random ?? Math.random,
    };
    this.#pacer = createPacer(deps.config.requestsPerSecond);
  }

  async process(event: SQSEvent, context: InvocationContext): Promise<SQSBatchResponse> {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const { config } = this.#deps;
    const deadlineAt = Date.now() + context.getRemainingTimeInMillis();
    const run = new Invocation(this.#deps, deadlineAt, this.#pacer);
    const plan = planBatch(records);

    const decided: Decided[] = [
      ...plan.invalid.map(({ record, reason }) => ({ record, decision: run.invalid(record, reason) })),
      ...plan.superseded.map(({ record, publicId, by }) => ({
        record,
        publicId,
        decision: {
          kind: "superseded",
          reason: `a newer update for the order is in the same batch (${by})`,
        } as const,
      })),
      ...(await run.applyAll(plan.work)),
    ];

    const first = records[0] as SQSRecord;
    const keep = await settle(
      {
        sqs: this.#deps.sqs,
        sourceQueueUrl: queueUrlFromArn(first.eventSourceARN, this.#deps.sqsEndpoint),
        dlqUrl: config.dlqUrl,
        fifo: isFifoRecord(first),
      },
      toSettlement(decided, config.maxReceiveCount),
      this.#deps.logger,
    );
    if (isFifoRecord(first)) holdBackGroupsAfterFailures(records, keep);

    reportBatch(decided, keep, {
      logger: this.#deps.logger,
      logMetadata: config.logMetadata,
      metricsNamespace: config.metricsNamespace,
      service: this.#deps.service,
      writeMetrics: this.#deps.writeMetrics,
    });
    return {
      batchItemFailures: records
        .filter((r) => keep.has(r.messageId))
        .map((r) => ({ itemIdentifier: r.messageId })),
    };
  }
}

function toSettlement(decided: Decided[], maxReceiveCount: number): Settlement {
  const settlement: Settlement = { deadLetters: [], handBacks: [], requeues: [] };
  for (const { record, decision } of decided) {
    if (decision.kind === "deadLetter") {
      settlement.deadLetters.push({ record, body: decision.body, failure: decision.failure });
    } else if (decision.kind === "retry") {
      // On its last receive the queue would dead-letter a message that was never tried: send it anew.
      const lastReceive = decision.untried && receiveCount(record) >= maxReceiveCount;
      if (lastReceive)
        settlement.requeues.push({ record, body: decision.body, delaySeconds: decision.visibilitySeconds });
      else settlement.handBacks.push({ record, visibilitySeconds: decision.visibilitySeconds });
    }
  }
  return settlement;
}

/** FIFO: once a record of a group is kept, the later records of that group must be kept too. */
function holdBackGroupsAfterFailures(records: SQSRecord[], keep: Set<string>): void {
  const failedGroups = new Set<string>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? "";
    if (failedGroups.has(group)) keep.add(record.messageId);
    else if (keep.has(record.messageId)) failedGroups.add(group);
  }
}
