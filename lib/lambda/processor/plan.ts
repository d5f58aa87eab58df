/**
 * Turns a batch of SQS records into work: which records break the contract, which repeat another
 * record's update (the same version), and which updates to send: per order, the newest, with the
 * order's older updates in the batch behind it, newest first. They are not dropped: if Spot refuses
 * the newest for good (a 400, a 422), the next is tried, so the order ends with its greatest update
 * Spot accepts.
 */
import type { SQSRecord } from "aws-lambda";
import {
  issuedAtEpochMs,
  type ParseResult,
  parseUpdate,
  type UpdateMessage,
  validPublicIdIn,
} from "../contract.ts";
import { isFifoRecord, sentAt } from "../sqs/records.ts";
import { compareVersions, tieBreakOf, type Version } from "./version.ts";

export interface Work {
  record: SQSRecord;
  message: UpdateMessage;
  /** Orders updates for one order: the body's `issuedAt` (else the first enqueue time) and a tie-break. */
  version: Version;
  /** Records that run one after another: the order in a standard queue, the message group in FIFO. */
  laneKey: string;
}

/** An order's newest update in the batch, and its older ones, newest first. */
export interface OrderWork extends Work {
  older: Work[];
}

export interface Plan {
  /** `publicId`: the body's, when it is a valid id (whatever else is wrong). */
  invalid: Array<{ record: SQSRecord; reason: string; publicId?: string }>;
  /** Records of an update another record of the batch carries too (the same version). */
  superseded: Array<{ record: SQSRecord; publicId: string; issuedAt: string; by: string }>;
  /** Per order, its newest update, in batch order, with its older ones behind it. */
  work: OrderWork[];
}

export interface PlanOptions {
  now: number;
  /** An `issuedAt` further ahead of `now` than this is refused: it would freeze the order. */
  maxClockSkewMs: number;
}

export function planBatch(records: SQSRecord[], options: PlanOptions): Plan {
  const plan: Plan = { invalid: [], superseded: [], work: [] };
  const byOrder = new Map<string, Work[]>();
  for (const record of records) {
    const parsed = checkBody(record.body);
    if (!parsed.ok) {
      const publicId = validPublicIdIn(record.body);
      plan.invalid.push({ record, reason: parsed.reason, ...(publicId === undefined ? {} : { publicId }) });
      continue;
    }
    const { message } = parsed;
    const version = versionOf(message, record);
    const aheadMs = version.issuedAt - options.now;
    if (aheadMs > options.maxClockSkewMs) {
      const reason = `issuedAt: is ${Math.round(aheadMs / 1000)} s in the future, more than the allowed clock skew of ${options.maxClockSkewMs / 1000} s`;
      plan.invalid.push({ record, reason, publicId: message.publicId });
      continue;
    }
    const work: Work = { record, message, version, laneKey: laneKeyOf(record, message) };
    const updates = byOrder.get(message.publicId) ?? [];
    // Equal versions are the same update: the later record stands for both.
    const same = updates.findIndex((other) => compareVersions(other.version, version) === 0);
    if (same >= 0) plan.superseded.push(supersede(updates.splice(same, 1)[0] as Work, work));
    byOrder.set(message.publicId, [...updates, work]);
  }
  plan.work = [...byOrder.values()]
    .map((updates) => {
      const [newest, ...older] = updates.sort((a, b) => compareVersions(b.version, a.version));
      return { ...(newest as Work), older };
    })
    .sort((a, b) => records.indexOf(a.record) - records.indexOf(b.record));
  return plan;
}

/** The contract's check, which must never fail the batch: a body it cannot check is invalid on its own. */
function checkBody(body: string): ParseResult {
  try {
    return parseUpdate(body);
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    return { ok: false, reason: `body could not be checked against the contract (${name})` };
  }
}

/** The version of an update: its `issuedAt` (else its first enqueue time) and its tie-break. */
export function versionOf(message: UpdateMessage, record: SQSRecord): Version {
  const issuedAt = message.issuedAt === undefined ? sentAt(record) : issuedAtEpochMs(message.issuedAt);
  return { issuedAt, tieBreak: tieBreakOf(message.metadata) };
}

function laneKeyOf(record: SQSRecord, message: UpdateMessage): string {
  const group = record.attributes.MessageGroupId;
  return isFifoRecord(record) && group !== undefined ? `group:${group}` : `order:${message.publicId}`;
}

function supersede(older: Work, newer: Work) {
  return {
    record: older.record,
    publicId: older.message.publicId,
    issuedAt: new Date(older.version.issuedAt).toISOString(),
    by: newer.record.messageId,
  };
}
