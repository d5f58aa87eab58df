/**
 * Instances that share Spot's limit, each with its own pace and no coordinator, simulated in virtual
 * time: Spot's limit as the sandbox counts it, each instance sending as fast as its pace lets it.
 */
import { describe, expect, it } from "vitest";
import { PaceController } from "../../../lib/lambda/processor/pace-controller.ts";
import { StartSpacing } from "../../../lib/lambda/processor/pacer.ts";

const LATENCY_MS = 20;
const CEILING = 250;

interface Call {
  instance: number;
  at: number;
  accepted: boolean;
}

/**
 * Runs instances that always have work, each joining at its time, against a limit of `limit` calls
 * in a window of a second that opens with the first call after the last one closed.
 */
function simulate(limit: number, joinAt: number[], seconds: number): Call[] {
  const calls: Call[] = [];
  const events: Array<{ at: number; run: () => void }> = [];
  const schedule = (at: number, run: () => void) => {
    const index = events.findIndex((event) => event.at > at);
    events.splice(index === -1 ? events.length : index, 0, { at, run });
  };
  let windowStart = Number.NEGATIVE_INFINITY;
  let windowCount = 0;
  const admit = (at: number) => {
    if (at - windowStart >= 1000) [windowStart, windowCount] = [at, 0];
    return ++windowCount <= limit;
  };
  joinAt.forEach((join, instance) => {
    const pace = new PaceController({ ceiling: CEILING, floor: 1 });
    const spacing = new StartSpacing();
    const send = (now: number) => {
      const at = Math.max(now, spacing.next(now, pace.perSecond));
      if (at > now) return schedule(at, () => send(at));
      spacing.record(at, pace.perSecond);
      const accepted = admit(at);
      calls.push({ instance, at, accepted });
      schedule(at + LATENCY_MS, () =>
        pace.observe({ status: accepted ? 200 : 429, sentAt: at }, at + LATENCY_MS, true),
      );
      schedule(at + 1000 / CEILING, () => send(at + 1000 / CEILING));
    };
    schedule(join, () => send(join));
  });
  while (events.length > 0 && (events[0]?.at ?? Number.POSITIVE_INFINITY) < seconds * 1000) {
    events.shift()?.run();
  }
  return calls;
}

/** Each instance's share of the calls Spot accepted in [from, to) s, the total ÷ the limit, and the refused share. */
function figures(calls: Call[], instances: number, limit: number, from: number, to: number) {
  const inWindow = calls.filter((call) => call.at >= from * 1000 && call.at < to * 1000);
  const accepted = inWindow.filter((call) => call.accepted);
  return {
    shares: Array.from(
      { length: instances },
      (_, i) => accepted.filter((call) => call.instance === i).length / accepted.length,
    ),
    ofLimit: accepted.length / (to - from) / limit,
    refused: (inWindow.length - accepted.length) / inWindow.length,
  };
}

describe("instances sharing Spot's limit, each with its own pace", () => {
  it("meet near their equal shares, together near the limit with few refusals", () => {
    // Act: two instances start together, one 300 ms behind the other.
    const calls = simulate(50, [0, 300], 60);

    // Assess: over the last 20 s.
    const { shares, ofLimit, refused } = figures(calls, 2, 50, 40, 60);
    for (const share of shares) expect(share).toBeGreaterThan(0.4);
    expect(ofLimit).toBeGreaterThan(0.85);
    expect(refused).toBeLessThan(0.1);
  });

  it("make room for an instance that joins later, starting below the ceiling", () => {
    // Act: a third instance joins after 30 s.
    const calls = simulate(60, [0, 0, 30_000], 90);

    // Assess: its first second stayed under the limit's share of a new instance…
    const joined = calls.filter((call) => call.instance === 2 && call.at < 31_000);
    expect(joined.length).toBeLessThan(CEILING / 5);
    // …and over the last 30 s each of the three got about a third.
    const { shares, ofLimit, refused } = figures(calls, 3, 60, 60, 90);
    for (const share of shares) expect(share).toBeGreaterThan(0.2);
    expect(ofLimit).toBeGreaterThan(0.85);
    expect(refused).toBeLessThan(0.1);
  });
});
