/**
 * What a million updates cost in AWS, from figures measured per message: the pricing arithmetic
 * only, with no I/O, so that a test can check it on fixed inputs and `bench/cost.ts` can feed it
 * what a local run measured.
 */

/**
 * On-demand list prices in us-east-1, for an arm64 function, as of mid-2025 (no free tier counted:
 * this is the cost at scale). Sources:
 * - Lambda: aws.amazon.com/lambda/pricing, Arm price, first 7.5 billion GB-s a month; requests.
 * - SQS: aws.amazon.com/sqs/pricing, standard queue, past the first million requests a month; every
 *   64 KB chunk of a request's payload is billed as one request.
 * - DynamoDB: aws.amazon.com/dynamodb/pricing/on-demand, Standard table class, after the price cut of
 *   1 November 2024 (from $1.25 and $0.25 per million). A write request unit is one write of an item
 *   up to 1 KB (a failed conditional write costs one too); a read request unit is one strongly
 *   consistent read of up to 4 KB, or two eventually consistent ones.
 * - CloudWatch Logs: aws.amazon.com/cloudwatch/pricing, Standard log class ingestion (Lambda's logs
 *   are vended logs, whose first tier, up to 10 TB a month, is the same $0.50).
 * - X-Ray: aws.amazon.com/xray/pricing, traces recorded (past the first 100,000 a month).
 */
export const PRICES = {
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  sqsPerRequest: 0.4 / 1e6,
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  logsPerGbIngested: 0.5,
  xrayPerTrace: 5 / 1e6,
} as const;

export type Prices = { readonly [K in keyof typeof PRICES]: number };

/** The bytes in a billed "GB" of logs (AWS bills binary gigabytes). */
export const LOG_GB_BYTES = 2 ** 30;
/** SQS bills each 64 KB of a request's payload as one request. */
export const SQS_CHUNK_BYTES = 64 * 1024;
/** Lambda gives a function one vCPU at this memory size, and CPU in proportion below it. */
export const MB_PER_VCPU = 1769;
/** Lambda's X-Ray sampling (active tracing): the first invocation each second, then 5 % of the rest. */
export const XRAY_SAMPLING = { perSecond: 1, rate: 0.05 } as const;

/**
 * CloudWatch Logs counts 26 bytes per log event on top of its message (PutLogEvents' batch size); the
 * model counts them as ingested, which errs on the high side if billing leaves them out.
 */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * What Lambda itself writes to the function's log group per invocation in the JSON log format (the
 * stack's), as samples of typical length: `platform.start`, `platform.runtimeDone` (the old END line)
 * and `platform.report`. Not measurable locally; counting all three errs on the high side.
 */
export const PLATFORM_LOG_LINES = [
  '{"time":"2025-06-02T10:15:00.123Z","type":"platform.start","record":{"requestId":"8f5c1e2a-3b4d-4c6e-9f01-23456789abcd","version":"$LATEST"}}',
  '{"time":"2025-06-02T10:15:01.157Z","type":"platform.runtimeDone","record":{"requestId":"8f5c1e2a-3b4d-4c6e-9f01-23456789abcd","status":"success","spans":[{"name":"responseLatency","start":"2025-06-02T10:15:01.155Z","durationMs":1.2},{"name":"responseDuration","start":"2025-06-02T10:15:01.156Z","durationMs":0.1}],"metrics":{"durationMs":1033.4,"producedBytes":52}}}',
  '{"time":"2025-06-02T10:15:01.158Z","type":"platform.report","record":{"requestId":"8f5c1e2a-3b4d-4c6e-9f01-23456789abcd","metrics":{"durationMs":1034.2,"billedDurationMs":1035,"memorySizeMB":256,"maxMemoryUsedMB":98},"status":"success"}}',
] as const;

/** What one update (one message) costs in requests, time and bytes: measured, then priced. */
export interface PerMessage {
  /** Lambda invocations per message (1 / the mean batch size). */
  invocations: number;
  /** Billed milliseconds per invocation (each rounded up to 1 ms, then averaged). */
  billedMsPerInvocation: number;
  /** SQS requests billed per message (64 KB chunks), whoever made them. */
  sqsRequests: number;
  /** DynamoDB write request units per message. */
  writeUnits: number;
  /** DynamoDB read request units per message. */
  readUnits: number;
  /** Bytes ingested by CloudWatch Logs per message (the handler's lines, its EMF lines, Lambda's own). */
  logBytes: number;
  /** X-Ray traces recorded per message (invocations × the share sampled). */
  traces: number;
}

/** Cost per million updates, in dollars, by component. */
export interface CostPerMillion {
  lambdaCompute: number;
  lambdaRequests: number;
  dynamoWrites: number;
  dynamoReads: number;
  sqs: number;
  logs: number;
  xray: number;
  total: number;
}

/** Prices a million updates at one memory size. */
export function costPerMillion(
  perMessage: PerMessage,
  memoryMb: number,
  prices: Prices = PRICES,
): CostPerMillion {
  const million = 1e6;
  const gbSecondsPerMessage =
    perMessage.invocations * (memoryMb / 1024) * (perMessage.billedMsPerInvocation / 1000);
  const parts = {
    lambdaCompute: million * gbSecondsPerMessage * prices.lambdaPerGbSecond,
    lambdaRequests: million * perMessage.invocations * prices.lambdaPerRequest,
    dynamoWrites: million * perMessage.writeUnits * prices.dynamoPerWriteUnit,
    dynamoReads: million * perMessage.readUnits * prices.dynamoPerReadUnit,
    sqs: million * perMessage.sqsRequests * prices.sqsPerRequest,
    logs: ((million * perMessage.logBytes) / LOG_GB_BYTES) * prices.logsPerGbIngested,
    xray: million * perMessage.traces * prices.xrayPerTrace,
  };
  const total = Object.values(parts).reduce((sum, part) => sum + part, 0);
  return { ...parts, total };
}

/**
 * The billed duration of an invocation at another memory size, at worst: the measured wall time plus
 * its CPU time stretched by how much less CPU that size gets than one full core (Lambda's share is
 * memory / 1,769 MB of a vCPU). An upper bound: the handler mostly waits on Spot and its pacer, and
 * CPU work done while it waits costs no wall time.
 * @param cpuMs CPU time per invocation measured on one full core
 */
export function worstCaseBilledMs(measuredMs: number, cpuMs: number, memoryMb: number): number {
  const stretch = Math.max(0, MB_PER_VCPU / memoryMb - 1);
  return Math.ceil(measuredMs + cpuMs * stretch);
}

/**
 * The share of invocations X-Ray traces at a steady rate of invocations per second (all of them at
 * one a second or fewer; toward 5 % as the rate grows).
 */
export function sampledShare(invocationsPerSecond: number): number {
  const { perSecond, rate } = XRAY_SAMPLING;
  if (invocationsPerSecond <= perSecond) return 1;
  return (perSecond + rate * (invocationsPerSecond - perSecond)) / invocationsPerSecond;
}

/** SQS requests billed for one call carrying `payloadBytes` (bodies and attributes). */
export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
}

/** Write request units of one write of an item this size (the larger of before and after). */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

/** Read request units of one read of an item this size. */
export function readUnits(itemBytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(itemBytes / 4096));
  return consistent ? units : units / 2;
}

/** A DynamoDB attribute value, as the low-level API (and the SDK's client) carries it. */
export type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean };

/**
 * An item's size as DynamoDB bills it: each attribute's name in UTF-8 bytes plus its value (a string's
 * UTF-8 bytes; a number's significant digits over two, plus one; one byte for a boolean or null).
 */
export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += numberBytes(value.N);
    else bytes += 1;
  }
  return bytes;
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}
