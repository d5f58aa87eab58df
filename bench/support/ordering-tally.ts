/**
 * What the workers' stdout tells of the ordering benchmark's run (bench/ordering.ts): each receive of
 * a message the handler processed writes one JSON line with an `outcome` (a hand-back too), and each
 * invocation one EMF metrics document. Counted as they come, from both workers.
 */

export interface OutcomeLine {
  messageId: string;
  publicId?: string;
  /** Only on the lines of the handlers that log it. */
  issuedAt?: string;
  outcome: string;
  receiveCount?: number;
  cause?: string;
  reason?: string;
  reasonClass?: string;
  status?: number;
  errorType?: string;
  /** The protocol before the tokens kept an applied message to send it again after the window. */
  reassertAfterSeconds?: number;
  /** When Spot answered or the plan decided (on every line). */
  decidedAt?: string;
  worker: number;
  /** When it was decided (`decidedAt`), else when the line was read: epoch ms. */
  at: number;
}

export class OrderingTally {
  /** Lines with an `outcome` field. */
  outcomeLines = 0;
  readonly byOutcome = new Map<string, number>();
  /** Hand-backs (`retry`, `requeued`) by cause. */
  readonly handBacksByCause = new Map<string, number>();
  /** Applied lines whose message was kept to be sent again (the previous protocol's re-assertion). */
  keptToReassert = 0;
  /** Every outcome line, for the stale orders' story. */
  readonly lines: OutcomeLine[] = [];
  /** Invocations, from the metrics documents. */
  invocations = 0;
  /** Calls to Spot the handlers counted (`SpotCalls`). */
  spotCallsCounted = 0;
  /** Lines at warn or error level that are not outcomes, by message. */
  readonly otherWarnings = new Map<string, number>();
  /** Lines that are not JSON. */
  readonly unparsed: string[] = [];
  /** The highest receive count seen per SQS message. */
  readonly #receivesOf = new Map<string, number>();

  add(worker: number, text: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
    } catch {
      if (this.unparsed.length < 20) this.unparsed.push(text);
      return;
    }
    if (entry._aws !== undefined) {
      this.invocations++;
      this.spotCallsCounted += Number(entry.SpotCalls ?? 0);
      return;
    }
    if (typeof entry.outcome === "string") {
      const line = entry as unknown as OutcomeLine;
      const decided = line.decidedAt === undefined ? Number.NaN : Date.parse(line.decidedAt);
      this.#addOutcome({ ...line, worker, at: Number.isNaN(decided) ? Date.now() : decided });
      return;
    }
    if (entry.level === "warn" || entry.level === "error" || Number(entry.level) >= 40) {
      const message = `${String(entry.level)}: ${String(entry.msg ?? entry.message ?? "")}`;
      this.otherWarnings.set(message, (this.otherWarnings.get(message) ?? 0) + 1);
    }
  }

  /** SQS receives of the messages the handlers processed: each message's highest receive count, summed. */
  get receives(): number {
    let sum = 0;
    for (const count of this.#receivesOf.values()) sum += count;
    return sum;
  }

  /** Distinct SQS messages seen: the updates sent plus the hand-backs sent as new messages. */
  get messages(): number {
    return this.#receivesOf.size;
  }

  #addOutcome(line: OutcomeLine): void {
    this.outcomeLines++;
    this.lines.push(line);
    bump(this.byOutcome, line.outcome);
    if (line.reassertAfterSeconds !== undefined) this.keptToReassert++;
    if (line.outcome === "retry" || line.outcome === "requeued")
      bump(this.handBacksByCause, line.cause ?? "?");
    const seen = this.#receivesOf.get(line.messageId) ?? 0;
    this.#receivesOf.set(line.messageId, Math.max(seen, Number(line.receiveCount ?? 1)));
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
