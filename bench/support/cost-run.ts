/**
 * One local run that measures what AWS bills per update: N updates through the local stack with the
 * ledger on, the handler configured as the stack deploys it (its concurrency and pace per
 * invocation), each poller with a handler of its own as each Lambda instance has. The SQS and
 * DynamoDB clients count their requests (bench/support/request-counter.ts), the handler's log and EMF
 * lines are counted in bytes (both go to CloudWatch Logs), and each invocation is timed.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { StackConfig } from "../../infra/config.ts";
import { createLogger, silentLogger } from "../../lib/lambda/logger.ts";
import type { EmfDocument } from "../../lib/lambda/metrics.ts";
import { createUpdateHandler, type UpdateHandler } from "../../lib/lambda/update-handler.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { createTally, type RunTally } from "../../lib/local/run-tally.ts";
import { QueuePoller } from "../../lib/tools/poller.ts";
import { Producer } from "../../lib/tools/producer.ts";
import { type AttributeValue, dynamoItemBytes } from "./cost-model.ts";
import { RequestCounter, sqsWeigher } from "./request-counter.ts";

export interface CostRunOptions {
  messages: number;
  /** Spot's answer time. */
  latencyMs: number;
  /** Lambda instances (pollers), each with its own handler and pacer. */
  instances: number;
  batchSize: number;
  /** Metadata per update, as JSON. */
  metadataBytes: number;
  /** The stack's configuration: the handler's concurrency and pace, the timeout, the function's name. */
  stack: StackConfig;
  /** Give up (and say so) after this long. @default 600000 */
  timeoutMs?: number;
}

/** Lines and bytes of one kind of log output (bytes without the newline: one log event each). */
export interface LogCount {
  lines: number;
  bytes: number;
}

export interface CostRun {
  finished: boolean;
  seconds: number;
  tally: RunTally;
  invocations: number;
  /** Each invocation's duration rounded up to the millisecond, as Lambda bills it. */
  billedMs: number[];
  /** Requests by who made them: the producer, the event source mapping, the handler. */
  sqs: { producer: RequestCounter; eventSource: RequestCounter; handler: RequestCounter };
  dynamoDb: RequestCounter;
  /** The ledger's items at the end (the largest an update's writes ever see). */
  ledgerItemBytes: { max: number; mean: number };
  logs: { handler: LogCount; emf: LogCount };
  spotCalls: number;
}

export async function runForCosts(options: CostRunOptions): Promise<CostRun> {
  const stack = await startCostStack(options);
  const counted = countedClients(stack);
  const observed = observeHandlers(options.messages);
  const sources = Array.from({ length: options.instances }, () =>
    instanceOf(stack, options, counted, observed),
  );

  try {
    await enqueue(counted.producerSqs, stack.queues.queueUrl, options);
    const settled = new Promise<boolean>((resolve) => {
      observed.onSettled = () => resolve(true);
      setTimeout(() => resolve(false), options.timeoutMs ?? 600_000).unref();
    });
    const started = performance.now();
    for (const source of sources) source.start();
    const finished = await settled;
    const seconds = (performance.now() - started) / 1000;
    // Stopping ends each poller's last long poll: an empty receive, counted as such.
    await Promise.all(sources.map((source) => source.stop()));
    for (const counter of [...Object.values(counted.sqs), counted.dynamoDb]) counter.enabled = false;
    return {
      finished,
      seconds,
      tally: observed.tally,
      invocations: observed.billedMs.length,
      billedMs: observed.billedMs,
      sqs: counted.sqs,
      dynamoDb: counted.dynamoDb,
      ledgerItemBytes: await itemSizes(counted.ledgerClient, stack.dynamoDb?.table ?? ""),
      logs: observed.logs,
      spotCalls: stack.sandbox.requests.length,
    };
  } finally {
    await Promise.all(sources.map((source) => source.stop()));
    for (const made of counted.clients) made.destroy();
    await stack.stop();
  }
}

/** The local stack with the ledger on, its handler settings those the stack deploys. */
function startCostStack(options: CostRunOptions): Promise<LocalStack> {
  const { stack: deployed } = options;
  return startLocalStack({
    autoStart: false,
    ledger: true,
    logger: silentLogger,
    onMetrics: () => {},
    sandbox: { seedCount: options.messages, faults: { latencyMs: options.latencyMs } },
    // What the stack sets (toHandlerSettings) that shapes an invocation's length: the pace.
    handler: {
      ...deployed.handler,
      concurrency: deployed.handlerConcurrency,
      requestsPerSecond: deployed.requestsPerSecond,
      metricsNamespace: deployed.metricsNamespace,
    },
  });
}

/** The run's SQS and DynamoDB clients, each counting its requests for the one who makes them. */
interface CountedClients {
  sqs: CostRun["sqs"];
  dynamoDb: RequestCounter;
  /** Every client made, to destroy at the end. */
  clients: Array<SQSClient | DynamoDBClient>;
  producerSqs: SQSClient;
  eventSourceSqs: SQSClient;
  handlerSqs: SQSClient;
  ledgerClient: DynamoDBClient;
}

function countedClients(stack: LocalStack): CountedClients {
  const sqs = {
    producer: new RequestCounter(sqsWeigher),
    eventSource: new RequestCounter(sqsWeigher),
    handler: new RequestCounter(sqsWeigher),
  };
  const dynamoDb = new RequestCounter();
  const clients: Array<SQSClient | DynamoDBClient> = [];
  const client = <C extends SQSClient | DynamoDBClient>(made: C, counter: RequestCounter): C => {
    clients.push(made);
    return counter.attach(made);
  };
  return {
    sqs,
    dynamoDb,
    clients,
    producerSqs: client(stack.queues.client(), sqs.producer),
    eventSourceSqs: client(stack.queues.client(), sqs.eventSource),
    handlerSqs: client(stack.queues.client(), sqs.handler),
    ledgerClient: client((stack.dynamoDb as NonNullable<typeof stack.dynamoDb>).client(), dynamoDb),
  };
}

/** What the handlers tell of the run: their outcomes, their log and EMF output, each invocation's time. */
interface HandlerObserver {
  tally: RunTally;
  logs: CostRun["logs"];
  billedMs: number[];
  /** Called once every message has its final outcome. */
  onSettled: (() => void) | undefined;
  destination: { write(line: string): void };
  onMetrics: (document: EmfDocument) => void;
  timed: (handler: UpdateHandler) => UpdateHandler;
}

function observeHandlers(messages: number): HandlerObserver {
  const tally = createTally();
  const logs = { handler: { lines: 0, bytes: 0 }, emf: { lines: 0, bytes: 0 } };
  const billedMs: number[] = [];
  const observer: HandlerObserver = {
    tally,
    logs,
    billedMs,
    onSettled: undefined,
    destination: {
      write(line: string) {
        logs.handler.lines += 1;
        logs.handler.bytes += Buffer.byteLength(line.trimEnd());
        tally.add(line);
        if (tally.applied + tally.superseded + tally.deadLettered >= messages) observer.onSettled?.();
      },
    },
    onMetrics: (document) => {
      logs.emf.lines += 1;
      logs.emf.bytes += Buffer.byteLength(`${JSON.stringify(document)}\n`);
    },
    timed: (handler) => async (event, context) => {
      const started = performance.now();
      try {
        return await handler(event, context);
      } finally {
        billedMs.push(Math.ceil(performance.now() - started));
      }
    },
  };
  return observer;
}

/** One Lambda instance: a poller with a handler of its own, on the counted clients. */
function instanceOf(
  stack: LocalStack,
  options: CostRunOptions,
  counted: CountedClients,
  observed: HandlerObserver,
): QueuePoller {
  return new QueuePoller({
    sqs: counted.eventSourceSqs,
    queueUrl: stack.queues.queueUrl,
    queueArn: stack.queues.queueArn,
    region: stack.queues.region,
    handler: observed.timed(
      createUpdateHandler(stack.config, {
        sqs: counted.handlerSqs,
        logger: createLogger({ level: stack.config.logLevel, destination: observed.destination }),
        sqsEndpoint: stack.queues.endpoint,
        dynamoDb: counted.ledgerClient,
        onMetrics: observed.onMetrics,
        service: `${options.stack.namePrefix}-update-metadata`,
      }),
    ),
    batchSize: options.batchSize,
    // A backlog fills every batch at once; the window only matters when traffic is thin.
    batchingWindowMs: 20,
    functionTimeoutMs: options.stack.timeoutSeconds * 1000,
  });
}

/** One update per seeded order, with metadata of about `metadataBytes` as JSON. */
async function enqueue(sqs: SQSClient, queueUrl: string, options: CostRunOptions): Promise<void> {
  const producer = new Producer({ sqs, queueUrl, source: "bench" });
  const filler = "x".repeat(Math.max(0, options.metadataBytes - 60));
  const results = await producer.enqueueMany(
    Array.from({ length: options.messages }, (_, i) => ({
      publicId: `O${String(i + 1).padStart(7, "0")}`,
      metadata: { clinic: `clinic-${i % 17}`, n: String(i + 1), notes: filler },
    })),
  );
  const failed = results.filter((result) => !result.ok).length;
  if (failed > 0) throw new Error(`${failed} updates could not be queued`);
}

/** The size of every item in the ledger's table, as DynamoDB bills writes of it. */
async function itemSizes(client: DynamoDBClient, table: string): Promise<{ max: number; mean: number }> {
  let max = 0;
  let sum = 0;
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
    for (const item of page.Items ?? []) {
      const bytes = dynamoItemBytes(item as Record<string, AttributeValue>);
      max = Math.max(max, bytes);
      sum += bytes;
      count += 1;
    }
    start = page.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
  } while (start !== undefined);
  return { max, mean: count === 0 ? 0 : sum / count };
}
