/**
 * The client's waits between attempts, over real HTTP to the sandbox but on a fake clock: only
 * setTimeout, clearTimeout and Date are faked (sockets, setImmediate and performance stay real), so
 * each wait is read as ky arms it and run out by advancing the clock, to the millisecond.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import { SpotClient, type SpotClientOptions } from "../../../lib/lambda/spot/client.ts";
import { type Fault, type SpotSandbox, startSpotSandbox } from "../../../lib/local/sandbox/spot-sandbox.ts";

/** Fake, and distinctive enough to be found should it ever leak. */
const TOKEN = "fake-token-for-tests-DO-NOT-LEAK-5d0e";
/** A whole second, so that an HTTP date (which has no milliseconds) makes an exact wait. */
const NOW = Date.UTC(2026, 0, 5, 9, 30, 0);
/** Longer than any wait here, so advancing the clock never times an attempt out. */
const TIMEOUT_MS = 5_000;
/** How long a wait may take to be armed, in real time, before the test fails instead of hanging. */
const ARMING_LIMIT_MS = 5_000;

let sandbox: SpotSandbox;
let armed: MockInstance<typeof setTimeout>;
beforeAll(async () => {
  sandbox = await startSpotSandbox({ token: TOKEN, orders: ["O1"] });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: NOW });
  armed = vi.spyOn(globalThis, "setTimeout");
});
afterEach(() => {
  // The spy first: it holds the fake setTimeout, which useRealTimers then replaces with the real one.
  vi.restoreAllMocks();
  vi.useRealTimers();
  sandbox.setFaults({});
  sandbox.clearRequests();
});

function client(overrides: Partial<SpotClientOptions> = {}): SpotClient {
  return new SpotClient({
    baseUrl: sandbox.url,
    token: () => TOKEN,
    timeoutMs: TIMEOUT_MS,
    retryLimit: 2,
    retryMaxDelayMs: 2_000,
    retryBaseDelayMs: 10,
    ...overrides,
  });
}

const script = (...faults: Fault[]) => sandbox.setFaults({ script: faults.map((fault) => ({ fault })) });

/**
 * Lets real I/O run until a timer of exactly `ms` is armed after the first `from` timers; returns
 * how many timers were armed by then. Every timer counts (ky's timeouts, undici's clock): only the
 * wait asked for has that length.
 */
async function untilArmed(ms: number, from = 0): Promise<number> {
  const started = performance.now();
  const found = () => armed.mock.calls.findIndex(([, delay], index) => index >= from && delay === ms);
  while (found() < 0) {
    if (performance.now() - started > ARMING_LIMIT_MS) {
      const seen = armed.mock.calls.slice(from).map(([, delay]) => delay);
      expect.fail(`no wait of ${ms} ms was armed; armed: ${JSON.stringify(seen)}`);
    }
    await nextTurn();
  }
  return found() + 1;
}

/** Awaits the call with the clock standing still: fails, instead of hanging, should it wait on the clock. */
async function settledWithClockStill<T>(call: Promise<T>): Promise<T> {
  let settled = false;
  const done = () => {
    settled = true;
  };
  call.then(done, done);
  const started = performance.now();
  while (!settled) {
    if (performance.now() - started > ARMING_LIMIT_MS) {
      const seen = armed.mock.calls.map(([, delay]) => delay);
      expect.fail(`the call waits on the clock; armed: ${JSON.stringify(seen)}`);
    }
    await nextTurn();
  }
  return call;
}

/** Runs the clock `ms` forward: timers due by then fire, and what they start runs until it needs I/O. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** Each retry, as the client starts it: ky calls the pace after the wait, before sending again. */
function retriesStarted(): { count: () => number; beforeRetry: () => Promise<boolean> } {
  let count = 0;
  return {
    count: () => count,
    beforeRetry: async () => {
      count++;
      return true;
    },
  };
}

/** Fake ms between each answer and the next request: what the client waited. */
const gaps = () =>
  sandbox.requests.slice(1).map((request, i) => request.receivedAt - (sandbox.requests[i]?.answeredAt ?? 0));

describe("Retry-After", () => {
  it.each([
    // A 429 says Spot did not take the write; a 503 in Spot's envelope says nothing of it.
    { as: "seconds", status: 429 as const, retryAfter: "1", waitMs: 1_000, mayHaveLanded: false },
    // The clock stands at a whole second, so the date two seconds ahead is 2,000 ms away.
    {
      as: "an HTTP date",
      status: 503 as const,
      retryAfter: new Date(NOW + 2_000).toUTCString(),
      waitMs: 2_000,
      mayHaveLanded: true,
    },
  ])("waits exactly what a $status's Retry-After asks ($as), then is applied", async (row) => {
    // Prepare
    script({ kind: "status", status: row.status, retryAfter: row.retryAfter });
    const retries = retriesStarted();

    // Act
    const call = client().updateMetadata("O1", { waited: row.as }, { beforeRetry: retries.beforeRetry });
    await untilArmed(row.waitMs);
    await advance(row.waitMs - 1);
    const startedEarly = retries.count();
    await advance(1);
    const outcome = await call;

    // Assess
    expect(startedEarly).toBe(0);
    expect(retries.count()).toBe(1);
    expect(outcome).toStrictEqual({
      kind: "applied",
      status: 200,
      drift: [],
      earlierAttemptMayLand: row.mayHaveLanded,
      attempts: 2,
      latencyMs: expect.any(Number),
    });
    expect(gaps()).toStrictEqual([row.waitMs]);
    expect(sandbox.metadataOf("O1")).toStrictEqual({ waited: row.as });
  });
});

describe("no wait", () => {
  it("leaves a Retry-After beyond the ceiling to the queue: transient with retryAfterMs, no wait", async () => {
    // Prepare
    script({ kind: "status", status: 429, retryAfter: "120" });

    // Act
    const outcome = await settledWithClockStill(client().updateMetadata("O1", { a: 1 }));

    // Assess
    expect(outcome).toStrictEqual({
      kind: "transient",
      status: 429,
      errorType: "rate_limit_exceeded",
      details: ["Request was throttled."],
      reason:
        "Spot answered 429 rate_limit_exceeded: Request was throttled.; Retry-After is beyond the in-process ceiling of 2000 ms, left to the queue",
      logReason:
        "Spot answered 429 rate_limit_exceeded; Retry-After is beyond the in-process ceiling of 2000 ms, left to the queue",
      retryAfterMs: 120_000,
      mayHaveLanded: false,
      attempts: 1,
      latencyMs: expect.any(Number),
    });
    expect(sandbox.requests).toHaveLength(1);
  });

  it("does not wait for a Retry-After that would end past the deadline", async () => {
    // Prepare: 2,000 ms asked, 1,500 ms left (in real time too, so ky's own budget does not end first).
    script({ kind: "status", status: 503, retryAfter: "2" });

    // Act
    const outcome = await settledWithClockStill(
      client().updateMetadata("O1", { a: 1 }, { deadline: NOW + 1_500 }),
    );

    // Assess
    expect(outcome).toStrictEqual({
      kind: "transient",
      status: 503,
      errorType: "server_error",
      details: ["Service unavailable"],
      reason:
        "Spot answered 503 server_error: Service unavailable; no retry: it would not fit before the deadline",
      logReason: "Spot answered 503 server_error; no retry: it would not fit before the deadline",
      retryAfterMs: 2_000,
      mayHaveLanded: true,
      attempts: 1,
      latencyMs: expect.any(Number),
    });
    expect(sandbox.requests).toHaveLength(1);
  });
});

describe("backoff", () => {
  it("waits the full-jittered backoff between 5xx answers, with no jitter of ky's own", async () => {
    // Prepare: a random draw of one half makes the waits half of 400 × 2^(n-1): 200 ms, then 400 ms.
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    script({ kind: "status", status: 500 }, { kind: "status", status: 502 });
    const retries = retriesStarted();

    // Act
    const call = client({ retryBaseDelayMs: 400 }).updateMetadata(
      "O1",
      { after: "backoff" },
      { beforeRetry: retries.beforeRetry },
    );
    const armedBefore = await untilArmed(200);
    await advance(199);
    const startedEarly = [retries.count()];
    await advance(1);
    await untilArmed(400, armedBefore);
    await advance(399);
    startedEarly.push(retries.count());
    await advance(1);
    const outcome = await call;

    // Assess
    expect(startedEarly).toStrictEqual([0, 1]);
    expect(retries.count()).toBe(2);
    expect(outcome).toStrictEqual({
      kind: "applied",
      status: 200,
      drift: [],
      earlierAttemptMayLand: true,
      attempts: 3,
      latencyMs: expect.any(Number),
    });
    expect(gaps()).toStrictEqual([200, 400]);
    expect(sandbox.requests.map((request) => request.status)).toStrictEqual([500, 502, 200]);
  });
});
