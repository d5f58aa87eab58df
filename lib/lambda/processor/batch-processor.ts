/**
 * The heart of the handler: applies one SQS batch of updates to Spot and reports, per record, what
 * the queue must keep (a partial batch response). A bad record never fails its neighbours.
 */
import { randomUUID } from "node:crypto";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { isFifoRecord, queueUrlFromArn, receiveCount } from "../sqs/records.ts";
import { BaseUrlCheck } from "./base-url-check.ts";
import { type Decided, HandBackCause, handBack, staysInQueue } from "./decision.ts";
import type { InvocationContext, ProcessorDeps, ResolvedDeps } from "./deps.ts";
import { historyOf } from "./history.ts";
import { Invocation } from "./invocation.ts";
import { noOrderingGuard } from "./ordering.ts";
import { createAdaptivePacer, createPacer, type Pacer } from "./pacer.ts";
import { type Plan, planBatch } from "./plan.ts";
import { reportBatch } from "./report.ts";
import { type Settlement, settle } from "./settle.ts";
import { SpotHealth } from "./spot-health.ts";

export class BatchProcessor {
  readonly #deps: ResolvedDeps;
  /** One per processor (a Lambda instance): a new invocation must not restart the count, nor the pace learned. */
  readonly #pacer: Pacer;

  constructor(deps: ProcessorDeps) {
    const health = new SpotHealth();
    const ordering = deps.ordering ?? noOrderingGuard;
    this.#deps = {
      ...deps,
      ordering,
      random: deps.random ?? Math.random,
      health,
      baseUrlCheck: new BaseUrlCheck(
        (knownOrder) => deps.spot.probeBaseUrl(knownOrder),
        health,
        async () => ordering.anAppliedOrder?.(),
      ),
    };
    const { requestsPerSecond, minRequestsPerSecond, adaptivePace } = deps.config;
    // The instance's name in the shared pace's record: one per processor, as one per Lambda instance.
    const shared = deps.paceStore && { store: deps.paceStore, instance: randomUUID().slice(0, 8) };
    this.#pacer = adaptivePace
      ? createAdaptivePacer({ ceiling: requestsPerSecond, floor: minRequestsPerSecond }, Date.now, shared)
      : createPacer(requestsPerSecond);
  }

  /** Applies the batch; its counts go into `metrics`, which the caller flushes. */
  async process(event: SQSEvent, context: InvocationContext, metrics: Metrics): Promise<SQSBatchResponse> {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    // Every line of this invocation names it, so one invocation's lines can be read together.
    const logger =
      context.awsRequestId === undefined
        ? this.#deps.logger
        : this.#deps.logger.child({ awsRequestId: context.awsRequestId });
    const deps = { ...this.#deps, logger };
    const { config } = deps;
    const startedAt = Date.now();
    const deadlineAt = startedAt + context.getRemainingTimeInMillis();
    const run = new Invocation(deps, { startedAt, deadlineAt }, this.#pacer);
    const plan = planBatch(records, { now: startedAt, maxClockSkewMs: config.maxClockSkewSeconds * 1000 });

    const decided = [...decidedByPlan(plan, run, startedAt), ...(await run.applyAll(plan.work))];

    const first = records[0] as SQSRecord;
    const fifo = isFifoRecord(first);
    // Decided before anything is sent: a record held back must not also be dead-lettered.
    if (fifo) holdBackBehindKept(records, decided);
    const keep = await settle(
      {
        sqs: deps.sqs,
        sourceQueueUrl: queueUrlFromArn(first.eventSourceARN, deps.sqsEndpoint),
        dlqUrl: config.dlqUrl,
        fifo,
      },
      toSettlement(decided, fifo, config.maxReceiveCount),
      deps.logger,
    );
    // A dead-letter or requeue that could not be sent keeps its record: the group waits behind it.
    if (fifo) holdBackGroupsAfterFailures(records, keep);

    reportBatch(decided, keep, run.pace, {
      logger: deps.logger,
      logMetadata: config.logMetadata,
      metrics,
    });
    return {
      batchItemFailures: records
        .filter((r) => keep.has(r.messageId))
        .map((r) => ({ itemIdentifier: r.messageId })),
    };
  }
}

/** What the plan decided before any call: the invalid records, and those a newer one in the batch supersedes. */
function decidedByPlan(plan: Plan, run: Invocation, at: number): Decided[] {
  return [
    ...plan.invalid.map(({ record, reason, publicId }) => ({
      record,
      ...(publicId === undefined ? {} : { publicId }),
      decision: run.invalid(record, reason),
      decidedAt: at,
    })),
    ...plan.superseded.map(({ record, publicId, issuedAt, by }) => ({
      record,
      publicId,
      issuedAt,
      decidedAt: at,
      decision: {
        kind: "superseded",
        reason: `a newer update for the order is in the same batch (${by})`,
      } as const,
    })),
  ];
}

/**
 * The queue side of the decisions. A message's own failure goes back with a visibility timeout, so
 * SQS's receive count counts its attempts. Any other hand-back is sent again as a new message
 * carrying its history, so that it never reaches the redrive policy's count (only its own failures
 * may dead-letter it); on FIFO queues, where a new message would lose its place in its group, it
 * goes back with a visibility timeout too. On its last receive nothing goes back by visibility (SQS
 * would move it to the DLQ with no reason): what the handler did not dead-letter is sent anew.
 */
function toSettlement(decided: Decided[], fifo: boolean, maxReceiveCount: number): Settlement {
  const settlement: Settlement = { deadLetters: [], handBacks: [], requeues: [] };
  for (const { record, decision } of decided) {
    if (decision.kind === "deadLetter") {
      settlement.deadLetters.push({ record, body: decision.body, failure: decision.failure });
    } else if (decision.kind === "retry") {
      const own = decision.cause === HandBackCause.ownFailure;
      const lastReceive = receiveCount(record) >= maxReceiveCount;
      if ((own || fifo) && !lastReceive) {
        settlement.handBacks.push({ record, visibilitySeconds: decision.waitSeconds });
      } else {
        const history = historyOf(record);
        settlement.requeues.push({
          record,
          body: decision.body,
          delaySeconds: decision.waitSeconds,
          history: own
            ? { ...history, ownFailures: history.ownFailures + 1 }
            : { ...history, handBacks: history.handBacks + 1 },
        });
      }
    }
  }
  return settlement;
}

/** FIFO: once a record of a group stays in the queue, the later records of that group stay too. */
function holdBackBehindKept(records: SQSRecord[], decided: Decided[]): void {
  const byRecord = new Map(decided.map((item) => [item.record.messageId, item]));
  const keptGroups = new Map<string, string>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? "";
    const item = byRecord.get(record.messageId);
    if (item === undefined) continue;
    const keptBy = keptGroups.get(group);
    if (keptBy !== undefined && !staysInQueue(item.decision)) {
      item.decision = handBack(
        HandBackCause.heldBack,
        `held back behind ${keptBy}, which goes back to the queue, in its FIFO group`,
        0,
        record.body,
      );
    } else if (keptBy === undefined && staysInQueue(item.decision)) {
      keptGroups.set(group, record.messageId);
    }
  }
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
