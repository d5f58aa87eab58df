/**
 * The heart of the handler: applies one SQS batch of updates to Spot and reports, per record, what
 * the queue must keep (a partial batch response). A bad record never fails its neighbours.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { visibilityBackoffSeconds } from "../backoff.ts";
import type { HandlerConfig } from "../config.ts";
import { serializeUpdate } from "../contract.ts";
import { type Failure, ReasonClass } from "../dlq/failure-attributes.ts";
import type { Logger } from "../logger.ts";
import { type MetricCounts, MetricName, renderEmf } from "../metrics.ts";
import type { FailedOutcome, SpotOutcome } from "../spot/outcome.ts";
import { isFifoRecord, queueUrlFromArn, receiveCount } from "../sqs/records.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import type { Decided, Decision } from "./decision.ts";
import { Admission, noOrderingGuard, type OrderingGuard } from "./ordering.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { planBatch, type Work } from "./plan.ts";
import { describe, type Settlement, settle } from "./settle.ts";

/** The one call the processor makes to Spot; `SpotClient` is the real one. */
export interface SpotUpdater {
  updateMetadata(
    publicId: string,
    metadata: Record<string, unknown>,
    options?: { deadline?: number },
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

type Retry = Extract<Decision, { kind: "retry" }>;
type ResolvedDeps = ProcessorDeps &
  Required<Pick<ProcessorDeps, "ordering" | "writeMetrics" | "service" | "random">>;

/** A lease held elsewhere clears within seconds; come back soon, not after a full backoff. */
const BUSY_RETRY_SECONDS = { min: 2, spread: 4 };

export class BatchProcessor {
  readonly #deps: ResolvedDeps;

  constructor(deps: ProcessorDeps) {
    this.#deps = {
      ...deps,
      ordering: deps.ordering ?? noOrderingGuard,
      writeMetrics: deps.writeMetrics ?? ((line) => process.stdout.write(`${line}\n`)),
      service: deps.service ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "spot-order-metadata",
      random: deps.random ?? Math.random,
    };
  }

  async process(event: SQSEvent, context: InvocationContext): Promise<SQSBatchResponse> {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const { config } = this.#deps;
    const deadlineAt = Date.now() + context.getRemainingTimeInMillis();
    const run = new Run(this.#deps, deadlineAt);
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

    run.report(decided, keep);
    return {
      batchItemFailures: records
        .filter((r) => keep.has(r.messageId))
        .map((r) => ({ itemIdentifier: r.messageId })),
    };
  }
}

/** The state of one invocation: its circuit, its pace, its deadline. */
class Run {
  readonly #deps: ResolvedDeps;
  readonly #breaker: CircuitBreaker;
  readonly #pacer: Pacer;
  readonly #deadlineAt: number;
  #systemicLogged = false;

  constructor(deps: ResolvedDeps, deadlineAt: number) {
    this.#deps = deps;
    this.#breaker = new CircuitBreaker(deps.config.circuitBreakerThreshold);
    this.#pacer = createPacer(deps.config.requestsPerSecond);
    this.#deadlineAt = deadlineAt;
  }

  /** Runs the updates: different orders concurrently (bounded), one lane (order or FIFO group) in turn. */
  async applyAll(work: Work[]): Promise<Decided[]> {
    const limit = pLimit(this.#deps.config.concurrency);
    const lanes = new Map<string, Work[]>();
    for (const item of work) lanes.set(item.laneKey, [...(lanes.get(item.laneKey) ?? []), item]);
    const results = await Promise.all(
      [...lanes.values()].map(async (lane) => {
        const out: Decided[] = [];
        let heldBack: string | undefined;
        for (const item of lane) {
          const decision =
            heldBack === undefined
              ? await limit(() => this.#apply(item))
              : this.#untried(item, `held back behind ${heldBack}, which failed, in its FIFO group`, 0);
          if (decision.kind === "retry") heldBack ??= item.record.messageId;
          out.push({
            record: item.record,
            publicId: item.message.publicId,
            metadata: item.message.metadata,
            decision,
          });
        }
        return out;
      }),
    );
    return results.flat();
  }

  invalid(record: SQSRecord, reason: string): Decision {
    return {
      kind: "deadLetter",
      body: record.body,
      failure: this.#failure(record, ReasonClass.invalid, reason, {}),
    };
  }

  async #apply(work: Work): Promise<Decision> {
    const { config, ordering } = this.#deps;
    const { publicId, metadata } = work.message;
    const messageId = work.record.messageId;
    const blocked = this.#blocked(work);
    if (blocked) return blocked;

    let admission: Admission;
    try {
      admission = await ordering.admit(publicId, work.version, messageId);
    } catch (error) {
      return this.#untried(work, `the applied-updates ledger failed: ${describe(error)}`);
    }
    if (admission === Admission.superseded) {
      return { kind: "superseded", reason: "a newer or equal update for the order was already applied" };
    }
    if (admission === Admission.busy) {
      const seconds = BUSY_RETRY_SECONDS.min + Math.round(this.#deps.random() * BUSY_RETRY_SECONDS.spread);
      return this.#untried(work, "another invocation holds the order's lease", seconds);
    }

    await this.#pacer.take();
    const blockedAfterWait = this.#blocked(work);
    if (blockedAfterWait) {
      await this.#release(publicId, messageId);
      return blockedAfterWait;
    }
    const outcome = await this.#deps.spot.updateMetadata(publicId, metadata, {
      deadline: this.#deadlineAt - config.deadlineMarginMs / 2,
    });
    return this.#decide(work, outcome);
  }

  async #decide(work: Work, outcome: SpotOutcome): Promise<Decision> {
    const { publicId } = work.message;
    const messageId = work.record.messageId;
    const count = receiveCount(work.record);
    const { attempts, latencyMs } = outcome;
    if (outcome.kind === "applied") {
      this.#breaker.recordSuccess();
      try {
        await this.#deps.ordering.applied(publicId, work.version, messageId);
      } catch (error) {
        this.#deps.logger.error(
          { messageId, publicId, error: describe(error) },
          "applied, but the ledger was not updated",
        );
      }
      return { kind: "applied", status: outcome.status, attempts, latencyMs };
    }
    await this.#release(publicId, messageId);
    const { status, errorType, reason } = outcome;
    const failure = (reasonClass: ReasonClass) =>
      this.#failure(work.record, reasonClass, reason, { status, errorType, details: outcome.details });
    switch (outcome.kind) {
      case "permanent":
        return {
          kind: "deadLetter",
          body: bodyOf(work),
          failure: failure(ReasonClass.permanent),
          attempts,
          latencyMs,
        };
      case "systemic":
        this.#breaker.open(`Spot refused the token (${status ?? "?"})`);
        this.#deps.onSystemicFailure?.();
        this.#logSystemic(outcome);
        return { ...this.#untried(work, reason), status, errorType, attempts, latencyMs };
      case "transient": {
        this.#breaker.recordTransientFailure();
        if (count >= this.#deps.config.maxReceiveCount) {
          return {
            kind: "deadLetter",
            body: bodyOf(work),
            failure: failure(ReasonClass.exhausted),
            attempts,
            latencyMs,
          };
        }
        const visibilitySeconds = visibilityBackoffSeconds(
          {
            baseSeconds: this.#deps.config.backoffBaseSeconds,
            maxSeconds: this.#deps.config.backoffMaxSeconds,
          },
          count,
          outcome.retryAfterMs,
          this.#deps.random,
        );
        return {
          kind: "retry",
          reason,
          visibilitySeconds,
          untried: false,
          body: bodyOf(work),
          status,
          errorType,
          attempts,
          latencyMs,
        };
      }
    }
  }

  /** Why no call should start now (circuit open, deadline near), as the decision to hand it back. */
  #blocked(work: Work): Decision | undefined {
    if (this.#breaker.isOpen) return this.#untried(work, this.#breaker.reason);
    if (this.#deadlineAt - Date.now() < this.#deps.config.deadlineMarginMs) {
      return this.#untried(work, "too little of the invocation's time left to start a call", 0);
    }
    return undefined;
  }

  /** Hands a message back for a reason that is not its own; the backoff follows its receive count. */
  #untried(work: Work, reason: string, visibilitySeconds?: number): Retry {
    const seconds =
      visibilitySeconds ??
      visibilityBackoffSeconds(
        {
          baseSeconds: this.#deps.config.backoffBaseSeconds,
          maxSeconds: this.#deps.config.backoffMaxSeconds,
        },
        receiveCount(work.record),
        0,
        this.#deps.random,
      );
    return { kind: "retry", reason, visibilitySeconds: seconds, untried: true, body: bodyOf(work) };
  }

  async #release(publicId: string, messageId: string): Promise<void> {
    try {
      await this.#deps.ordering.release(publicId, messageId);
    } catch (error) {
      // The lease expires on its own; the order is only delayed.
      this.#deps.logger.warn({ messageId, publicId, error: describe(error) }, "lease not released");
    }
  }

  #failure(
    record: SQSRecord,
    reasonClass: ReasonClass,
    reason: string,
    extra: { status?: number; errorType?: string; details?: string[] },
  ): Failure {
    const now = new Date();
    const count = receiveCount(record);
    const firstReceive = Number(record.attributes.ApproximateFirstReceiveTimestamp);
    return {
      reasonClass,
      reason,
      ...(extra.status === undefined ? {} : { status: extra.status }),
      ...(extra.errorType === undefined ? {} : { errorType: extra.errorType }),
      details: extra.details ?? [reason],
      attempts: count,
      firstFailureAt: count > 1 && firstReceive > 0 ? new Date(firstReceive) : now,
      lastFailureAt: now,
    };
  }

  #logSystemic(outcome: FailedOutcome): void {
    if (this.#systemicLogged) return;
    this.#systemicLogged = true;
    this.#deps.logger.error(
      {
        status: outcome.status,
        errorType: outcome.errorType,
        details: outcome.details,
        alarm: "SystemicFailures",
      },
      "Spot refused the token: nothing is dead-lettered, every message goes back to the queue. Check the token's secret.",
    );
  }

  /** One log line per record and one metrics line per invocation. */
  report(decided: Decided[], keep: Set<string>): void {
    const counts: Required<MetricCounts> = {
      Applied: 0,
      Superseded: 0,
      DeadLettered: 0,
      Retried: 0,
      SystemicFailures: 0,
      Invalid: 0,
    };
    for (const { record, publicId, metadata, decision } of decided) {
      const kept = keep.has(record.messageId);
      const outcome = outcomeName(decision, kept);
      counts[metricOf(outcome)] += 1;
      if (decision.kind === "deadLetter" && decision.failure.reasonClass === ReasonClass.invalid)
        counts.Invalid += 1;
      if (
        decision.kind === "retry" &&
        decision.status !== undefined &&
        [401, 403].includes(decision.status)
      ) {
        counts.SystemicFailures += 1;
      }
      const line = {
        messageId: record.messageId,
        publicId,
        outcome,
        receiveCount: receiveCount(record),
        ...detailsOf(decision),
        ...(this.#deps.config.logMetadata && metadata !== undefined ? { metadata } : {}),
      };
      if (outcome === "dead-lettered" || outcome === "kept") this.#deps.logger.warn(line, "message outcome");
      else this.#deps.logger.info(line, "message outcome");
    }
    this.#deps.writeMetrics(renderEmf(this.#deps.config.metricsNamespace, this.#deps.service, counts));
  }
}

type OutcomeName = "applied" | "superseded" | "dead-lettered" | "retry" | "requeued" | "kept";

function outcomeName(decision: Decision, kept: boolean): OutcomeName {
  if (decision.kind === "retry") return kept ? "retry" : "requeued";
  if (kept) return "kept"; // the DLQ (or the requeue) could not be written: the queue keeps it
  return decision.kind === "deadLetter" ? "dead-lettered" : decision.kind;
}

function metricOf(outcome: OutcomeName): keyof Required<MetricCounts> {
  switch (outcome) {
    case "applied":
      return MetricName.applied;
    case "superseded":
      return MetricName.superseded;
    case "dead-lettered":
      return MetricName.deadLettered;
    default:
      return MetricName.retried;
  }
}

function detailsOf(decision: Decision): Record<string, unknown> {
  switch (decision.kind) {
    case "applied":
      return { status: decision.status, attempts: decision.attempts, latencyMs: decision.latencyMs };
    case "superseded":
      return { reason: decision.reason };
    case "deadLetter": {
      const { reasonClass, reason, status, errorType } = decision.failure;
      return {
        reasonClass,
        reason,
        status,
        errorType,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
    }
    case "retry":
      return {
        reason: decision.reason,
        status: decision.status,
        errorType: decision.errorType,
        visibilitySeconds: decision.visibilitySeconds,
        attempts: decision.attempts,
        latencyMs: decision.latencyMs,
      };
  }
}

/** The body to dead-letter or requeue: stamped with its version, so a replay keeps its place in line. */
function bodyOf(work: Work): string {
  if (work.message.issuedAt !== undefined) return work.record.body;
  return serializeUpdate({ ...work.message, issuedAt: new Date(work.version).toISOString() });
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
