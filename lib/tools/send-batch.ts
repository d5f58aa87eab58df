/**
 * One packed batch to one result per entry: a `SendMessageBatch` call, made again for the entries SQS
 * failed through no fault of the sender (and for the whole batch when the call itself failed for a
 * reason worth repeating), with full-jitter backoff between attempts, until every entry has its result
 * or the attempts are used up. Nothing is dropped without a reason.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { fullJitterMs } from "../lambda/backoff.ts";
import { describeCallError, isRetryableCallError } from "./send-errors.ts";

/** What became of one entry; the producer adds the input's index. */
type SendOutcome =
  | { ok: true; messageId: string }
  | { ok: false; reason: string; cause: "refused" | "unavailable"; retryable: boolean };

export interface BatchSettings {
  sqs: SQSClient;
  queueUrl: string;
  /** Attempts for an entry that failed through no fault of the sender (and for failed calls). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, full jitter. */
  retryBaseDelayMs: number;
  /** Longest retry delay. */
  retryMaxDelayMs: number;
}

type Report<Item> = (outcome: SendOutcome, item: Item) => void;

/** Sends `items` (at most one call's worth) and reports each one's outcome once, as soon as it is known. */
export async function sendBatch<Item extends { entry: SendMessageBatchRequestEntry }>(
  items: Item[],
  settings: BatchSettings,
  report: Report<Item>,
): Promise<void> {
  let remaining = items;
  for (let attempt = 1; remaining.length > 0; attempt++) {
    const lastAttempt = attempt >= settings.maxAttempts;
    const retry: Item[] = [];
    try {
      const response = await settings.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: settings.queueUrl, Entries: remaining.map((i) => i.entry) }),
      );
      settle(remaining, response, { lastAttempt, retry, report });
    } catch (error) {
      const retryable = isRetryableCallError(error);
      if (retryable && !lastAttempt) retry.push(...remaining);
      else {
        const reason = `SendMessageBatch failed: ${describeCallError(error)}`;
        for (const item of remaining) report({ ok: false, reason, cause: "unavailable", retryable }, item);
      }
    }
    remaining = retry;
    if (remaining.length > 0)
      await sleep(fullJitterMs(attempt, settings.retryBaseDelayMs, settings.retryMaxDelayMs));
  }
}

/** Reports what one call's response settles, and keeps in `retry` what is worth another attempt. */
function settle<Item extends { entry: SendMessageBatchRequestEntry }>(
  sent: Item[],
  response: SendMessageBatchCommandOutput,
  { lastAttempt, retry, report }: { lastAttempt: boolean; retry: Item[]; report: Report<Item> },
): void {
  const byId = new Map(sent.map((item) => [item.entry.Id as string, item]));
  for (const ok of response.Successful ?? []) {
    const item = byId.get(ok.Id ?? "");
    if (item === undefined) continue;
    byId.delete(item.entry.Id as string);
    report({ ok: true, messageId: ok.MessageId ?? "" }, item);
  }
  for (const failed of response.Failed ?? []) {
    const item = byId.get(failed.Id ?? "");
    if (item === undefined) continue;
    byId.delete(item.entry.Id as string);
    const reason = `SQS rejected the entry: ${failed.Code ?? "unknown"}${failed.Message ? ` (${failed.Message})` : ""}`;
    if (!failed.SenderFault && !lastAttempt) retry.push(item);
    else {
      const cause = failed.SenderFault ? "refused" : "unavailable";
      report({ ok: false, reason, cause, retryable: !failed.SenderFault }, item);
    }
  }
  // An entry SQS did not mention at all is treated like a failure that was not ours.
  for (const item of byId.values()) {
    if (!lastAttempt) retry.push(item);
    else report(NOT_MENTIONED, item);
  }
}

const NOT_MENTIONED: SendOutcome = {
  ok: false,
  reason: "SQS did not report on this entry",
  cause: "unavailable",
  retryable: true,
};
