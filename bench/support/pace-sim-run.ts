/**
 * bench:pace's workload replayed in virtual time (bench/pace-sim.ts), with the real pacer and no
 * CPU to share: each instance runs invocations of 10 updates one after the other (its queue never
 * runs dry), a few calls in flight; each call writes the ledger, takes its start from the pacer,
 * reaches Spot, writes the ledger again; a refused call waits Spot's `Retry-After` in-process and
 * retries through the pacer, as the client does, and its invocation ends only with it. Spot accepts
 * at most the phase's limit in any sliding second, as the sandbox's `window: "sliding"` does.
 */
import type { Pacer } from "../../lib/lambda/processor/pacer.ts";
import type { PaceTrace } from "./pace-figures.ts";
import { VirtualTime } from "./virtual-time.ts";

export interface SimOptions {
  instances: number;
  phases: Array<{ limit: number; seconds: number }>;
  /** Calls in flight per invocation. */
  concurrency: number;
  /** Each of the two ledger writes around a call. */
  ledgerMs: number;
  latencyMs: number;
  retryAfterMs: number;
  /** Quick retries of a refused call, each after `retryAfterMs` (0: it goes back to the queue at once). */
  retries: number;
  /** Between an invocation's end and the next one's start (its deletes, the next batch). */
  batchGapMs: number;
  /** Instances start within this span, at random. */
  startSpreadMs: number;
  /** A share of calls Spot refuses whatever the pace (a gateway's 429s, as the soak's faults). @default 0 */
  random429?: number;
  makePacer: (instance: number, clock: () => number) => Pacer;
}

/** Runs the instances until the phases end (counted from Spot's first request). */
export async function simulatePace(o: SimOptions): Promise<PaceTrace> {
  const time = new VirtualTime();
  const trace: PaceTrace = { startedAt: Number.NaN, requests: [], paces: [] };
  const limited = slidingLimit(o.phases, trace);
  // A random refusal is drawn after the limit counted the call, as the sandbox does.
  const spot = (at: number) => limited(at) && !(Math.random() < (o.random429 ?? 0));
  for (let instance = 0; instance < o.instances; instance++) {
    const pacer = o.makePacer(instance, time.clock);
    const invocation = async () => {
      const work = Array.from({ length: 10 }, (_, i) => i);
      const lane = async () => {
        while (work.pop() !== undefined) await call(time, o, pacer, (at) => spot(at));
      };
      await Promise.all(Array.from({ length: o.concurrency }, lane));
      trace.paces.push({ worker: instance, at: time.now, perSecond: pacer.perSecond });
      await time.sleep(o.batchGapMs);
    };
    time.at(Math.random() * o.startSpreadMs, () => {
      void (async () => {
        for (;;) await invocation();
      })();
    });
  }
  const totalMs = o.phases.reduce((ms, phase) => ms + phase.seconds * 1000, 0);
  try {
    // No call within a minute of the start is a broken model, not a slow one.
    await time.run((at) => (Number.isNaN(trace.startedAt) ? at < 60_000 : at <= trace.startedAt + totalMs));
  } finally {
    time.restore();
  }
  return trace;
}

/** One update: the ledger, the pacer, Spot (retrying a refusal in-process), the ledger. */
async function call(time: VirtualTime, o: SimOptions, pacer: Pacer, spot: (at: number) => boolean) {
  await time.sleep(o.ledgerMs);
  if (!(await pacer.take())) return;
  for (let attempt = 0; ; attempt++) {
    const sentAt = time.now;
    const accepted = spot(sentAt);
    await time.sleep(o.latencyMs);
    pacer.observe({
      status: accepted ? 200 : 429,
      sentAt,
      ...(accepted ? {} : { retryAfterMs: o.retryAfterMs }),
    });
    if (accepted || attempt >= o.retries) break;
    await time.sleep(o.retryAfterMs);
    if (!(await pacer.take())) break;
  }
  await time.sleep(o.ledgerMs);
}

/** Spot's limit over any sliding second, its phases counted from the first request; logs each request. */
function slidingLimit(phases: SimOptions["phases"], trace: PaceTrace): (at: number) => boolean {
  const accepted: number[] = [];
  const limitAt = (at: number) => {
    let elapsed = at - trace.startedAt;
    for (const phase of phases) {
      if (elapsed < phase.seconds * 1000) return phase.limit;
      elapsed -= phase.seconds * 1000;
    }
    return phases.at(-1)?.limit ?? 0;
  };
  return (at) => {
    if (Number.isNaN(trace.startedAt)) trace.startedAt = at;
    while ((accepted[0] ?? at) <= at - 1000) accepted.shift();
    const refused = accepted.length >= limitAt(at);
    if (!refused) accepted.push(at);
    trace.requests.push({ receivedAt: at, refused });
    return !refused;
  };
}
