/**
 * The ordering protocol's world for test/lambda/ledger/protocol.model.test.ts: the real DynamoLedger
 * (on a fake clock) side by side with a reference model of Spot and of the attempts at one order.
 *
 * Spot is an unconditional full replace: the last write to land wins. What the protocol assumes, the
 * model makes true: a call ends by its deadline (a call still running then ends uncertain), and its
 * write lands at any time from its admission to W after the call's end, or never; a crashed holder's
 * call may run to its deadline, so its write may land until its hold's end. Each step acts on both
 * and checks:
 *
 * - one write in flight: an attempt is admitted only when no other attempt's write is in flight (an
 *   admission is the only step that starts a flight, so checking there is enough). A write is in
 *   flight from its admission until its definite answer (a 200 no earlier try of the call may
 *   overtake, or a refusal), until W after its call's end (an uncertain answer, or a 200 an earlier
 *   try may still overtake), or until its hold's end (its holder crashed mid-call);
 * - never sent once recorded: an admitted version is newer than every version recorded;
 * - the ledger's applied version is the greatest recorded (never lowered, never raised but by a
 *   record), and Spot holds it or a newer one: read after every record, settle and release, and
 *   compared with Spot after every landing;
 * - admission follows the state table: acquired if newer than the applied version and open (no hold,
 *   or its end passed), superseded if not newer, else busy.
 *
 * At the end, once every message has been retried until applied or superseded, Spot and the ledger
 * both hold the newest version. Not before: a 200 whose holder crashed before recording it, or whose
 * record came after its hold passed on, can be overwritten by an older version admitted meanwhile;
 * its message going round again puts it right.
 */
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoLedger } from "../../../lib/lambda/ledger/dynamo-ledger.ts";
import { metadataDigest } from "../../../lib/lambda/ledger/metadata-digest.ts";
import { LedgerAttribute as A, LEDGER_KEY } from "../../../lib/lambda/ledger/table.ts";
import type { Admission, Lease } from "../../../lib/lambda/processor/ordering.ts";
import { type Version, versionNumber } from "../../../lib/lambda/processor/version.ts";

/** The late-write window W (ms): a write lands at most this long after its call ended. */
export const LATE_WRITE_MS = 30;
/** The longest call an attempt makes (ms): its hold lasts that plus W. */
export const MAX_CALL_MS = 60;

/** Spot's answer to a call, as its holder reads it. */
export type Answer =
  /** 200, and no earlier try of the call may land after it. */
  | "ok"
  /** 200, but an earlier try of the call may still land until W after the call. */
  | "okEarlier"
  /** No sure answer (a timeout, a reset, a 5xx): the write may land until W after the call. */
  | "uncertain"
  /** Refused in Spot's envelope, a 429, or no call made: nothing was written. */
  | "refused";

interface Message {
  /** Index into the world's versions, oldest first. */
  version: number;
  /** `attempting` while an attempt that has not crashed works on it; `idle`: it goes round again. */
  state: "idle" | "attempting" | "done";
}

interface Attempt {
  id: number;
  message: number;
  version: number;
  lease: Lease;
  callDeadline: number;
  crashed: boolean;
  /** When its call ended and how; a call still running at its deadline ends uncertain then. */
  answer?: { kind: Answer; at: number };
  told: boolean;
}

/** A write sent to Spot that has not landed yet, and the last moment it can land. */
interface Write {
  attempt: number;
  version: number;
  latest: number;
}

/** What one run plays with: the order's versions (oldest first) and which version each message carries. */
export interface Scenario {
  versions: Version[];
  messages: number[];
}

export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}

export class World {
  now = 1_000_000;
  readonly #ledger: DynamoLedger;
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #publicId: string;
  readonly #versions: Version[];
  readonly messages: Message[];
  readonly attempts: Attempt[] = [];
  pending: Write[] = [];
  /** The version Spot holds, as an index into the versions. */
  #spot: number | undefined;
  /** The greatest version the ledger answered `recorded` for. */
  #recorded: number | undefined;
  /** The hold on the order as the protocol has it: whose, and until when. */
  #hold: { attempt: number; until: number } | undefined;
  readonly #log: string[] = [];

  constructor(scenario: Scenario, db: { client: DynamoDBClient; table: string }, publicId: string) {
    this.#versions = scenario.versions;
    this.messages = scenario.messages.map((version) => ({ version, state: "idle" }));
    this.#client = db.client;
    this.#table = db.table;
    this.#publicId = publicId;
    this.#ledger = new DynamoLedger({ client: db.client, table: db.table, now: () => this.now });
  }

  idle = () => this.#indexes(this.messages, (m) => m.state === "idle");
  calling = () => this.#indexes(this.attempts, (a) => !a.crashed && a.answer === undefined);
  answered = () => this.#indexes(this.attempts, (a) => !a.crashed && a.answer !== undefined && !a.told);
  working = () => this.#indexes(this.attempts, (a) => !a.crashed && !a.told);
  /** When the order reopens, as the protocol has it. */
  get holdUntil(): number | undefined {
    return this.#hold?.until;
  }
  /** Whether the attempt's first write is still on its way (a refusal is possible only then). */
  unlanded = (attempt: number) => this.pending.some((w) => w.attempt === attempt);

  /** Message `index` asks the ledger for the order, for a call of `callMs`; the attempt, if acquired. */
  async deliver(index: number, callMs: number): Promise<Attempt | undefined> {
    const message = this.#at(this.messages, index);
    const until = this.now + callMs + LATE_WRITE_MS;
    const expected = this.#expectedAdmission(message.version);
    const admission = await this.#ledger.admit(this.#publicId, this.#version(message.version), until);
    const as = admission.kind === "acquired" ? ` as #${this.attempts.length}` : "";
    this.#say(
      `m${index} (${this.#name(message.version)}) asks to hold until ${until}: ${admission.kind}${as}`,
    );
    if (admission.kind === "acquired") this.#checkAdmitted(message.version);
    if (admission.kind !== expected) this.#fail(`admission ${admission.kind}, the protocol says ${expected}`);
    let attempt: Attempt | undefined;
    if (admission.kind === "acquired") {
      attempt = {
        id: this.attempts.length,
        message: index,
        version: message.version,
        lease: admission.lease,
        callDeadline: this.now + callMs,
        crashed: false,
        told: false,
      };
      this.attempts.push(attempt);
      this.pending.push({ attempt: attempt.id, version: message.version, latest: until });
      this.#hold = { attempt: attempt.id, until };
      message.state = "attempting";
    }
    if (admission.kind === "superseded") message.state = "done";
    return attempt;
  }

  /** A pending write lands now. */
  land(index: number): void {
    const [write] = this.pending.splice(index, 1);
    if (write !== undefined) this.#land(write, this.now);
  }

  /** Attempt `id`'s call ends now with `kind`. */
  answer(id: number, kind: Answer): void {
    const attempt = this.#at(this.attempts, id);
    attempt.answer = { kind, at: this.now };
    this.#say(`#${id} answered ${kind}`);
    const first = this.pending.find((w) => w.attempt === id);
    if (kind === "refused") {
      this.pending = this.pending.filter((w) => w !== first);
    } else if (kind === "ok") {
      if (first !== undefined) this.land(this.pending.indexOf(first));
    } else {
      if (first !== undefined) first.latest = this.now + LATE_WRITE_MS;
      // The 200 of okEarlier is a later try's write, landed before the answer.
      if (kind === "okEarlier")
        this.#land({ attempt: id, version: attempt.version, latest: this.now }, this.now);
    }
  }

  /** Attempt `id` tells the ledger what its answer allows: record, settle or release. */
  async tell(id: number, ownFailure: boolean): Promise<void> {
    const attempt = this.#at(this.attempts, id);
    const { kind, at } = attempt.answer ?? this.#fail(`#${id} tells before its answer`);
    const message = this.#at(this.messages, attempt.message);
    const mine = this.#hold?.attempt === id;
    // The tightest reopening the protocol allows: the call's end plus W.
    const reopensAt = at + LATE_WRITE_MS;
    attempt.told = true;
    message.state = "idle";
    if (kind === "ok" || kind === "okEarlier") {
      const settling = kind === "okEarlier" ? { reopensAt } : {};
      const digest = metadataDigest({ version: this.#name(attempt.version) });
      const result = await this.#ledger.recordApplied(attempt.lease, {
        messageId: `m${attempt.message}`,
        digest,
        ...settling,
      });
      this.#say(`#${id} records ${this.#name(attempt.version)}${describeReopening(settling)}: ${result}`);
      if (result === "recorded") {
        this.#recorded = Math.max(this.#recorded ?? -1, attempt.version);
        message.state = "done";
        if (mine) this.#hold = kind === "okEarlier" ? { attempt: id, until: reopensAt } : undefined;
      }
    } else if (kind === "uncertain") {
      await this.#ledger.settle(attempt.lease, { reopensAt, ownFailure });
      this.#say(`#${id} settles, reopening at ${reopensAt}`);
      if (mine) this.#hold = { attempt: id, until: reopensAt };
    } else {
      await this.#ledger.release(attempt.lease, { ownFailure });
      this.#say(`#${id} releases`);
      if (mine) this.#hold = undefined;
    }
    await this.#checkLedger();
  }

  /** Attempt `id`'s holder dies: the ledger hears nothing more from it, and its message goes round again. */
  crash(id: number): void {
    const attempt = this.#at(this.attempts, id);
    attempt.crashed = true;
    this.#at(this.messages, attempt.message).state = "idle";
    this.#say(`#${id} crashes`);
  }

  /**
   * The clock moves on by `ms`: calls reaching their deadline end uncertain, and the writes whose
   * last moment passes land then (bit i of `landMask` for the i-th) or never.
   */
  advance(ms: number, landMask: number): void {
    const to = this.now + ms;
    for (const attempt of this.attempts) {
      if (attempt.crashed || attempt.answer !== undefined || attempt.callDeadline >= to) continue;
      attempt.answer = { kind: "uncertain", at: attempt.callDeadline };
      this.#say(`#${attempt.id} times out at ${attempt.callDeadline}`);
    }
    const expiring = this.pending.filter((w) => w.latest < to).sort((a, b) => a.latest - b.latest);
    this.pending = this.pending.filter((w) => w.latest >= to);
    expiring.forEach((write, i) => {
      if ((landMask >>> (i % 31)) & 1) this.#land(write, write.latest);
      else this.#say(`#${write.attempt}'s write is lost`);
    });
    this.now = to;
    this.#say(`t=${to}`);
  }

  /**
   * Every message is retried until applied or superseded: the holders still working finish, every
   * hold and write runs out, and each message left is delivered again and answered 200.
   */
  async drain(landMask: number): Promise<void> {
    for (let round = 0; round <= this.messages.length + 1; round++) {
      for (const id of this.answered()) await this.tell(id, false);
      const ends = [this.#hold?.until ?? 0, ...this.attempts.map((a) => a.lease.until)];
      this.advance(Math.max(1, ...ends.map((end) => end - this.now + 1)), landMask);
      for (const id of this.answered()) await this.tell(id, false);
      const idle = this.idle();
      if (idle.length === 0) return;
      for (const index of idle) {
        const attempt = await this.deliver(index, MAX_CALL_MS);
        if (attempt === undefined) continue;
        this.answer(attempt.id, "ok");
        await this.tell(attempt.id, false);
      }
    }
    this.#fail("messages are neither applied nor superseded after every hold ended");
  }

  /** The end: Spot and the ledger both hold the newest version. */
  async assessEnd(): Promise<void> {
    const newest = this.#versions.length - 1;
    const ledger = await this.#appliedInLedger();
    if (this.#spot !== newest || ledger !== newest) {
      this.#fail(
        `the order ends with ${this.#name(this.#spot)} in Spot and ${this.#name(ledger)} in the ledger, not ${this.#name(newest)}`,
      );
    }
  }

  #expectedAdmission(version: number): Admission["kind"] {
    if (this.#recorded !== undefined && version <= this.#recorded) return "superseded";
    if (this.#hold !== undefined && this.now <= this.#hold.until) return "busy";
    return "acquired";
  }

  #checkAdmitted(version: number): void {
    const inFlight = this.attempts.find((a) => this.#inFlight(a, this.now));
    if (inFlight !== undefined) {
      this.#fail(
        `two writes in flight: admitted while #${inFlight.id} (${this.#name(inFlight.version)}) may still write`,
      );
    }
    if (this.#recorded !== undefined && version <= this.#recorded) {
      this.#fail(`${this.#name(version)} admitted although ${this.#name(this.#recorded)} is recorded`);
    }
  }

  /** Whether attempt `a`'s write is in flight at `t`, as the protocol counts it. */
  #inFlight(a: Attempt, t: number): boolean {
    if (a.answer === undefined) return !a.crashed || t <= a.lease.until;
    if (a.answer.kind === "ok" || a.answer.kind === "refused") return false;
    return t <= a.answer.at + LATE_WRITE_MS;
  }

  async #checkLedger(): Promise<void> {
    const applied = await this.#appliedInLedger();
    if (applied !== this.#recorded) {
      this.#fail(
        `the ledger holds ${this.#name(applied)}, the greatest recorded is ${this.#name(this.#recorded)}`,
      );
    }
    this.#checkSpot();
  }

  #checkSpot(): void {
    if (this.#recorded !== undefined && (this.#spot ?? -1) < this.#recorded) {
      this.#fail(`Spot holds ${this.#name(this.#spot)}, older than ${this.#name(this.#recorded)} recorded`);
    }
  }

  #land(write: Write, at: number): void {
    this.#spot = write.version;
    this.#say(`#${write.attempt}'s write of ${this.#name(write.version)} lands at ${at}`);
    this.#checkSpot();
  }

  async #appliedInLedger(): Promise<number | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [LEDGER_KEY]: { S: this.#publicId } },
        ConsistentRead: true,
        ProjectionExpression: A.appliedOrder,
      }),
    );
    const order = Item?.[A.appliedOrder]?.N;
    if (order === undefined) return undefined;
    const index = this.#versions.findIndex((v) => versionNumber(v) === order);
    return index >= 0 ? index : this.#fail(`the ledger holds an unknown version ${order}`);
  }

  #version(index: number): Version {
    return this.#at(this.#versions, index);
  }

  #name(index: number | undefined): string {
    return index === undefined ? "nothing" : `v${index + 1}`;
  }

  #indexes<T>(items: T[], keep: (item: T) => boolean): number[] {
    return items.flatMap((item, i) => (keep(item) ? [i] : []));
  }

  #at<T>(items: T[], index: number): T {
    return items[index] ?? this.#fail(`no item ${index}`);
  }

  #say(line: string): void {
    this.#log.push(line);
  }

  #fail(reason: string): never {
    throw new ProtocolViolation(`${reason}\n  ${this.#log.join("\n  ")}`);
  }
}

function describeReopening(settling: { reopensAt?: number }): string {
  return settling.reopensAt === undefined ? "" : `, reopening at ${settling.reopensAt}`;
}
