/**
 * `dlq replay`: puts selected DLQ messages back on the source queue, body unchanged (its `issuedAt`
 * keeps its place in line; a valid body without one, which SQS's redrive moved here, is stamped with
 * its original enqueue time), failure attributes cleared, `replay-count` one higher. Sending and
 * pacing are in replay-send.ts; this module reads, decides (replay-plan.ts) and sums up.
 *
 * A FIFO DLQ is read in rounds: a group's next message shows only once the one before it is deleted,
 * so each round replays what the last one unlocked, and an order's messages go back in their order.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Version } from "../../lambda/processor/version.ts";
import type { DlqMessage } from "./dlq-message.ts";
import { type DlqReader, type ReadTotals, Truncation, withDlqReader } from "./dlq-reader.ts";
import { type MessageFilter, matchesFilter, selectsInvalidExplicitly } from "./filters.ts";
import { planReplay, SkipReason } from "./replay-plan.ts";
import { type MessageRef, PacedSender, refOf, type SendTally } from "./replay-send.ts";
import { type AppliedVersionLookup, appliedVersionsOf } from "./superseded.ts";

export const DEFAULT_REPLAY_RATE = 50;

export interface ReplayOptions {
  sqs: SQSClient;
  dlqUrl: string;
  sourceQueueUrl: string;
  filter: MessageFilter;
  /** Replay even what the ledger or a newer DLQ message supersedes. @default false */
  includeSuperseded?: boolean;
  /** Where applied versions come from; without one, only newer DLQ messages supersede. */
  ledger?: AppliedVersionLookup;
  /** Messages per second. @default 50 */
  ratePerSecond?: number;
  /** Replay at most this many. */
  limit?: number;
  /** Read at most this many DLQ messages. @default 10_000 */
  max?: number;
  /** How long read messages stay hidden unless extended (they are extended while the run lasts). @default 30 */
  holdSeconds?: number;
  /** Decide and report, move nothing. @default false */
  dryRun?: boolean;
  onProgress?: (progress: { replayed: number; total: number }) => void;
  /** Stops reading, and sending between batches; what was not sent stays in the DLQ. */
  signal?: AbortSignal;
  /** Long poll of the DLQ reads. @default 1 */
  waitTimeSeconds?: number;
  /** For tests: runs after a batch is sent and before it is deleted from the DLQ; a throw fails the delete. */
  beforeDelete?: (messages: readonly DlqMessage[]) => void | Promise<void>;
}

export interface ReplaySummary extends ReadTotals, SendTally {
  dlqUrl: string;
  sourceQueueUrl: string;
  dryRun: boolean;
  /** Read messages the filter selected. */
  matched: number;
  /** In a dry run: what would be replayed. */
  replayed: MessageRef[];
  skipped: Record<SkipReason, MessageRef[]>;
  /** Selected but past --limit, or not reached before a stop: still in the DLQ. */
  notReached: number;
  durationMs: number;
}

/**
 * Replays the selected messages.
 * @throws the SDK's error when the DLQ cannot be read, or the ledger's when a lookup fails (what
 *   was read is made visible again first; what was already replayed stays replayed)
 */
export async function replayMessages(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  return withDlqReader(options.sqs, options.dlqUrl, options, async (reader) => {
    const sender = new PacedSender(options.ratePerSecond ?? DEFAULT_REPLAY_RATE);
    const summary = emptySummary(options);
    let planned = 0;
    do {
      const left = options.limit === undefined ? undefined : options.limit - planned;
      planned += await replayRound(options, reader, sender, summary, left);
      if (summary.interrupted) break;
      if (options.limit !== undefined && planned >= options.limit) {
        // Later rounds could only find more to leave behind.
        if (reader.mayHaveMore) reader.stop(Truncation.limit);
        break;
      }
    } while (reader.mayHaveMore);
    return { ...summary, ...reader.totals, durationMs: Math.round(performance.now() - started) };
  });
}

/** Reads a round, plans it and sends the plan (at most `limit`). @returns how many it planned to replay */
async function replayRound(
  options: ReplayOptions,
  reader: DlqReader,
  sender: PacedSender,
  summary: ReplaySummary,
  limit: number | undefined,
): Promise<number> {
  const now = Date.now();
  const selected = (await reader.next()).filter((message) => matchesFilter(message, options.filter, now));
  const appliedVersions =
    options.ledger === undefined || options.includeSuperseded
      ? new Map<string, Version>()
      : await appliedVersionsOf(options.ledger, selected);
  const plan = planReplay(selected, {
    includeInvalid: selectsInvalidExplicitly(options.filter),
    includeSuperseded: options.includeSuperseded ?? false,
    appliedVersions,
    limit,
  });
  summary.matched += selected.length;
  summary.notReached += plan.overLimit.length;
  for (const { message, reason } of plan.skipped) summary.skipped[reason].push(refOf(message));
  if (summary.dryRun) {
    summary.replayed.push(...plan.replay.map(refOf));
  } else {
    await sender.send({ ...options, remove: (messages) => reader.delete(messages) }, plan.replay, summary);
  }
  return plan.replay.length;
}

function emptySummary(options: ReplayOptions): ReplaySummary {
  return {
    dlqUrl: options.dlqUrl,
    sourceQueueUrl: options.sourceQueueUrl,
    dryRun: options.dryRun ?? false,
    approximateTotal: 0,
    read: 0,
    fifo: false,
    truncated: false,
    truncation: undefined,
    matched: 0,
    replayed: [],
    skipped: {
      [SkipReason.invalid]: [],
      [SkipReason.supersededByLedger]: [],
      [SkipReason.supersededInDlq]: [],
    },
    notReached: 0,
    notSent: [],
    sentNotDeleted: [],
    interrupted: false,
    durationMs: 0,
  };
}
