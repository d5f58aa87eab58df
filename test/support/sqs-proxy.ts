/**
 * A small SQS-compatible proxy for tests: it forwards every request to fauxqs unchanged, records
 * what the client sent (fauxqs drops `MessageGroupId` on standard queues, so the wire is where it
 * can be read), and can make some `SendMessageBatch` entries fail the way SQS does when the fault is
 * its own: the entry is taken out of the request before it is forwarded (so it is NOT stored) and
 * reported back in `Failed` with `SenderFault: false`. It can also fail a whole call of any action
 * with an AWS-shaped error, without forwarding it (so the call has no effect on the queue).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../lib/local/local-aws.ts";

interface RecordedCall {
  action: string;
  body: Record<string, unknown>;
}

export interface BatchEntry {
  Id: string;
  MessageBody: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

/** A whole call answered with an error instead of being forwarded, as SQS answers in its JSON protocol. */
export interface InjectedFault {
  /** 400 for throttling and client faults, 403 for expired or missing credentials, 500 for SQS's own. */
  status: 400 | 403 | 500;
  /** The error's name as the SDK reports it, e.g. `ThrottlingException`, `ExpiredTokenException`. */
  type: string;
}

export interface SqsProxyOptions {
  /** Decides, per SendMessageBatch call (numbered from 1), which entries fail with SenderFault=false. */
  failEntries?: (call: number, entries: BatchEntry[]) => BatchEntry[];
  /** Called before each SendMessageBatch call is forwarded. */
  onBatch?: (call: number, entries: BatchEntry[]) => void;
  /** Holds each SendMessageBatch call this long before forwarding it (a queue a slow network away). */
  batchDelayMs?: number;
  /**
   * Decides, per call of any action (`call` counts that action's calls from 1, retries included),
   * whether the whole call fails with `InjectedFault` without being forwarded. Checked first.
   */
  failCall?: (action: string, call: number) => InjectedFault | undefined;
  /** Decides, per call of any action, whether it is held unanswered (until the proxy stops). */
  holdCall?: (action: string, call: number) => boolean;
}

export interface SqsProxy {
  endpoint: string;
  calls: RecordedCall[];
  client(): SQSClient;
  stop(): Promise<void>;
}

export async function startSqsProxy(target: string, options: SqsProxyOptions = {}): Promise<SqsProxy> {
  const calls: RecordedCall[] = [];
  let batchCalls = 0;
  const callsPerAction = new Map<string, number>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const action = String(request.headers["x-amz-target"] ?? "").replace("AmazonSQS.", "");
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    calls.push({ action, body: structuredClone(body) });
    const call = (callsPerAction.get(action) ?? 0) + 1;
    callsPerAction.set(action, call);
    if (options.holdCall?.(action, call)) return;
    const fault = options.failCall?.(action, call);
    if (fault) {
      response
        .writeHead(fault.status, {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-query-error": `${fault.type};Sender`,
        })
        .end(
          JSON.stringify({
            __type: `com.amazonaws.sqs#${fault.type}`,
            message: "injected by the test proxy",
          }),
        );
      return;
    }
    let failed: BatchEntry[] = [];
    if (action === "SendMessageBatch") {
      const entries = body.Entries as BatchEntry[];
      batchCalls += 1;
      options.onBatch?.(batchCalls, entries);
      if (options.batchDelayMs !== undefined) await new Promise((r) => setTimeout(r, options.batchDelayMs));
      failed = options.failEntries?.(batchCalls, entries) ?? [];
      const failedIds = new Set(failed.map((entry) => entry.Id));
      body.Entries = entries.filter((entry) => !failedIds.has(entry.Id));
    }
    const forwardedEntries = body.Entries as unknown[] | undefined;
    let status: number;
    let text: string;
    let headers: Record<string, string>;
    if (action === "SendMessageBatch" && forwardedEntries?.length === 0) {
      // Every entry failed: SQS still answers 200 with the failures listed.
      status = 200;
      text = JSON.stringify({ Successful: [], Failed: [] });
      headers = { "content-type": "application/x-amz-json-1.0" };
    } else {
      const upstream = await fetch(`${target}${request.url ?? "/"}`, {
        method: request.method ?? "POST",
        headers: forwardableHeaders(request.headers),
        body: JSON.stringify(body),
      });
      status = upstream.status;
      text = await upstream.text();
      headers = Object.fromEntries(
        [...upstream.headers].filter(([name]) => !["content-length", "transfer-encoding"].includes(name)),
      );
    }
    if (failed.length > 0) {
      const answer = JSON.parse(text) as { Successful?: unknown[]; Failed?: unknown[] };
      answer.Failed = [
        ...(answer.Failed ?? []),
        ...failed.map((entry) => ({
          Id: entry.Id,
          SenderFault: false,
          Code: "InternalError",
          Message: "injected by the test proxy",
        })),
      ];
      text = JSON.stringify(answer);
    }
    response.writeHead(status, headers).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    client: () =>
      new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A held call's connection would keep the server open.
        server.closeAllConnections();
      }),
  };
}

/** Every entry the client sent in SendMessageBatch calls, in order, retries included. */
export function sentEntries(proxy: SqsProxy): BatchEntry[] {
  return proxy.calls
    .filter((call) => call.action === "SendMessageBatch")
    .flatMap((call) => call.body.Entries as BatchEntry[]);
}

function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ["host", "content-length", "connection"].includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
