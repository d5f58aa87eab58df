/**
 * Which DLQ messages a newer applied update has overtaken: the ledger holds, for the message's order,
 * a version newer than the message's, by the handler's own rule (lib/lambda/processor/version.ts: the
 * greater `issuedAt` wins, then the greater tie-break of the metadata). Such a message can never be
 * applied any more (the handler would skip it as superseded), so `dlq purge --superseded` removes it.
 *
 * Only the ledger counts: a newer message in the DLQ has not reached Spot. A message with no
 * readable version (no `issuedAt`, not stamped) is never overtaken.
 */
import pLimit from "p-limit";
import { compareVersions, tieBreakOf, type Version } from "../../lambda/processor/version.ts";
import { MAX_KEYS_PER_READ } from "../applied-versions.ts";
import type { DlqMessage } from "./dlq-message.ts";

/**
 * The ledger's applied versions of at most {@link MAX_KEYS_PER_READ} orders (one `BatchGetItem`);
 * an order the ledger does not know is absent from the answer.
 */
export type AppliedVersionLookup = (publicIds: readonly string[]) => Promise<ReadonlyMap<string, Version>>;

/** Ledger reads in flight at once: a 20,000-message DLQ is 200 reads, a few seconds at most. */
const CONCURRENT_LOOKUPS = 4;

/**
 * The message's version as the handler computes it: `issuedAt` (or the enqueue time it was
 * stamped with) and the tie-break of its metadata. The tie-break is undefined when the body has no
 * metadata object to draw it from: then only a later `issuedAt` can overtake the message.
 */
export function versionOfMessage(
  message: DlqMessage,
): { issuedAt: number; tieBreak: number | undefined } | undefined {
  if (message.version === undefined) return undefined;
  return {
    issuedAt: message.version,
    tieBreak: message.metadata === undefined ? undefined : tieBreakOf(message.metadata),
  };
}

/** Whether `applied` is newer than the message's version (the same version is not: it is this update). */
export function isOvertaken(message: DlqMessage, applied: Version | undefined): boolean {
  const order = appliedAgainst(message, applied);
  return order !== undefined && order > 0;
}

/** Whether `applied` is the message's own version or a newer one: a replay would be superseded. */
export function isReachedOrOvertaken(message: DlqMessage, applied: Version | undefined): boolean {
  const order = appliedAgainst(message, applied);
  return order !== undefined && order >= 0;
}

/**
 * Positive when `applied` is newer than the message, 0 for its own version, negative when older;
 * undefined when either is unknown. Without a tie-break only `issuedAt` can tell.
 */
function appliedAgainst(message: DlqMessage, applied: Version | undefined): number | undefined {
  const version = versionOfMessage(message);
  if (applied === undefined || version === undefined) return undefined;
  if (version.tieBreak === undefined) return applied.issuedAt - version.issuedAt;
  return compareVersions(applied, { issuedAt: version.issuedAt, tieBreak: version.tieBreak });
}

/** Orders two messages of one order as the handler would their updates (no tie-break: the lowest). */
export function compareMessages(a: DlqMessage, b: DlqMessage): number {
  const va = versionOfMessage(a);
  const vb = versionOfMessage(b);
  if (va === undefined || vb === undefined) return (va === undefined ? 0 : 1) - (vb === undefined ? 0 : 1);
  return compareVersions(
    { issuedAt: va.issuedAt, tieBreak: va.tieBreak ?? -1 },
    { issuedAt: vb.issuedAt, tieBreak: vb.tieBreak ?? -1 },
  );
}

/**
 * The applied versions of the orders of these messages, read in batches of {@link MAX_KEYS_PER_READ}.
 * @throws the lookup's error when the ledger cannot be read
 */
export async function appliedVersionsOf(
  lookup: AppliedVersionLookup,
  messages: readonly DlqMessage[],
): Promise<Map<string, Version>> {
  const ids = [
    ...new Set(
      messages.flatMap((m) => (m.publicId === undefined || m.version === undefined ? [] : [m.publicId])),
    ),
  ];
  const limit = pLimit(CONCURRENT_LOOKUPS);
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += MAX_KEYS_PER_READ) batches.push(ids.slice(i, i + MAX_KEYS_PER_READ));
  const answers = await Promise.all(batches.map((batch) => limit(() => lookup(batch))));
  return new Map(answers.flatMap((answer) => [...answer]));
}

/** The messages split by whether the ledger holds a newer version of their order. */
export async function splitOvertaken(
  lookup: AppliedVersionLookup,
  messages: readonly DlqMessage[],
): Promise<{ overtaken: DlqMessage[]; notOvertaken: DlqMessage[] }> {
  const applied = await appliedVersionsOf(lookup, messages);
  const overtaken: DlqMessage[] = [];
  const notOvertaken: DlqMessage[] = [];
  for (const message of messages) {
    const newer = isOvertaken(message, applied.get(message.publicId ?? ""));
    (newer ? overtaken : notOvertaken).push(message);
  }
  return { overtaken, notOvertaken };
}
