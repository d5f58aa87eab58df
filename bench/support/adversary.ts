/**
 * An adversarial run of the whole pipeline, for the property "the newest update wins": several
 * producers (two services and a CSV import at once, some bodies sent twice, dated near the clock-skew
 * limit or with a forged history), several pollers on standard or FIFO queues, a Spot that lands
 * writes after the client gave up, answers slow or junk 200s, refuses some updates for good, throttles,
 * resets, refuses the token, redirects, goes down or stops listening for a while; a ledger whose calls
 * fail or take longer than the lease; an invocation that dies between any two steps; DLQ replays
 * during and after the storm.
 *
 * A scenario is plain data drawn by fast-check ({@link scenarioArbitrary}, in adversary-scenario.ts),
 * so a failing one prints in full and shrinks. {@link runScenario} plays it on the local stack and
 * returns what is wrong with the end state (adversary-judge.ts; nothing, when the property holds),
 * and can trace what happened to the orders it names (adversary-trace.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../lib/lambda/logger.ts";
import { type LocalStack, startLocalStack } from "../../lib/local/local-stack.ts";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import type { FaultPlan } from "../../lib/local/sandbox/types.ts";
import { judge, type Observed, updateKey } from "./adversary-judge.ts";
import { readDlq, replayDuringStorm, replayUntilSettled } from "./adversary-operator.ts";
import { produce } from "./adversary-produce.ts";
import {
  CIRCUIT_THRESHOLD,
  LATE_WRITE_WINDOW_SECONDS,
  LEASE_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_RECEIVE_COUNT,
  REFUSED_FIELD,
  REQUEST_TIMEOUT_MS,
  type Scenario,
  SLOW_LEDGER_MS,
} from "./adversary-scenario.ts";
import { traceProblems } from "./adversary-trace.ts";

export type { ProducerName, Scenario, ScenarioUpdate } from "./adversary-scenario.ts";
export { scenarioArbitrary } from "./adversary-scenario.ts";

/**
 * Plays a scenario on a fresh local stack.
 * @returns what is wrong with the end state; empty when the property holds
 */
export async function runScenario(
  scenario: Scenario,
  options: { trace?: (line: string) => void } = {},
): Promise<string[]> {
  const dice = seededDice(scenario.seed);
  const observed: Observed = { replayed: [], final: [], lostReceives: new Map() };
  const running = new Running();
  const stack = await startScenarioStack(scenario, { dice, observed, running });
  const folder = await mkdtemp(join(tmpdir(), "spot-meta-adversary-"));
  const problems: string[] = [];
  try {
    stack.sandbox.setFaults(stormOf(scenario));
    const produced = await produce(scenario, stack, folder);

    // The storm, a replay of what it dead-lettered while it still blows, then calm and the last replays.
    await stack.waitUntilDrained({ timeoutMs: 60_000 });
    await replayDuringStorm(stack, observed);
    await stack.waitUntilDrained({ timeoutMs: 60_000 });
    stack.sandbox.setFaults({});
    await stack.sandbox.settled();
    const kept = await replayUntilSettled(stack, observed, () => running.quiet());
    await stack.eventSource.stop();
    await stack.sandbox.settled();
    observed.final = [...kept, ...(await readDlq(stack))];

    problems.push(...(await judge(scenario, produced, observed, stack)));
    if (problems.length > 0 && options.trace !== undefined) {
      for (const line of traceProblems(problems, produced, observed, stack)) options.trace(line);
    }
  } catch (error) {
    problems.push(`the run did not finish: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stack.stop();
    await rm(folder, { recursive: true, force: true });
  }
  return problems;
}

/**
 * The handler's invocations still running: the poller's timed-out ones go on in the background here
 * (Lambda would end them), and may still call Spot, requeue or dead-letter. Those that hang at a
 * ledger call never end, and do nothing more.
 */
class Running {
  readonly #active = new Set<Promise<unknown>>();
  hung = 0;
  lastHangAt = 0;

  track<T>(work: Promise<T>): Promise<T> {
    this.#active.add(work);
    const done = () => this.#active.delete(work);
    work.then(done, done);
    return work;
  }

  /**
   * Resolves once every invocation that may still act has ended, or after {@link QUIET_MS}. A hung
   * invocation's other lanes go on: until {@link HUNG_GRACE_MS} after the last hang.
   */
  async quiet(): Promise<void> {
    const giveUpAt = Date.now() + QUIET_MS;
    while (this.#active.size > this.hung && Date.now() < giveUpAt) await sleep(50);
    await sleep(Math.max(0, this.lastHangAt + HUNG_GRACE_MS - Date.now()));
  }
}

/** Longer than a slow ledger call and what an invocation does after it. */
const QUIET_MS = 5_000;
/** Longer than what a hung invocation's other lanes do: a slow ledger call and a call to Spot. */
const HUNG_GRACE_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Harness {
  dice: () => number;
  observed: Observed;
  running: Running;
}

/** The local stack as the scenario sets it up, with its crashes, and what the run observes. */
function startScenarioStack(scenario: Scenario, { dice, observed, running }: Harness): Promise<LocalStack> {
  return startLocalStack({
    logger: silentLogger,
    onMetrics: () => {},
    queues: { visibilityTimeoutSeconds: 2, maxReceiveCount: MAX_RECEIVE_COUNT, fifo: scenario.fifo },
    sandbox: {
      seedCount: scenario.orders,
      seed: scenario.seed,
      faults: { latencyMs: { min: 1, max: 15 } },
      refusedFields: { [REFUSED_FIELD[400]]: 400, [REFUSED_FIELD[422]]: 422 },
    },
    handler: {
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retryLimit: 1,
      retryMaxDelayMs: 50,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 1,
      deadlineMarginMs: 400,
      lateWriteWindowSeconds: LATE_WRITE_WINDOW_SECONDS,
      ledgerLeaseSeconds: LEASE_SECONDS,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      maxClockSkewSeconds: MAX_CLOCK_SKEW_SECONDS,
      circuitBreakerThreshold: CIRCUIT_THRESHOLD,
    },
    eventSource: {
      pollers: scenario.pollers,
      batchSize: scenario.batchSize,
      batchingWindowMs: 20,
      functionTimeoutMs: 2_500,
      onInvocation: ({ records, error }) => {
        if (error === undefined) return;
        for (const record of records) countLostReceive(observed, record.body);
      },
    },
    wrapOrdering: (ledger) => faultyLedger(ledger, scenario, { dice, observed, running }),
    wrapHandler: (handler) => async (event, context) => {
      if (dice() < scenario.crashRate / 2) throw new Error("injected crash before the handler");
      const response = await running.track(handler(event, context));
      if (dice() < scenario.crashRate / 2) throw new Error("injected crash after the handler answered");
      return response;
    },
  });
}

/** Spot's faults during the storm: the random ones, and the outage and the dark port, if drawn. */
function stormOf(scenario: Scenario): FaultPlan {
  return {
    latencyMs: { min: 1, max: 15 },
    random: scenario.faults,
    ...(scenario.outage === undefined ? {} : { outage: { ...scenario.outage, status: 500 } }),
    ...(scenario.unreachable === undefined ? {} : { unreachable: scenario.unreachable }),
  };
}

function countLostReceive(observed: Observed, body: string): void {
  try {
    const { publicId, metadata } = JSON.parse(body) as { publicId?: unknown; metadata?: unknown };
    const key = updateKey(publicId, metadata);
    observed.lostReceives.set(key, [...(observed.lostReceives.get(key) ?? []), Date.now()]);
  } catch {
    // An invalid body: no update to count it for.
  }
}

/**
 * The ledger with its faults, whatever its methods are called (a Proxy over each of them): calls
 * that fail (a throttle past the SDK's retries), calls that take longer than the lease before they
 * reach the table or before their answer comes back, and invocations that die at a ledger call,
 * before it or after it. A dying invocation never returns; the queue poller times it out, and its
 * records come back.
 */
function faultyLedger<Ledger extends object>(
  ledger: Ledger,
  scenario: Scenario,
  { dice, running }: Harness,
): Ledger {
  const hang = () => {
    running.hung++;
    running.lastHangAt = Date.now();
    return new Promise<never>(() => {});
  };
  const slowly = () => new Promise((resolve) => setTimeout(resolve, SLOW_LEDGER_MS));
  const throttled = () =>
    Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
      name: "ProvisionedThroughputExceededException",
    });
  return new Proxy(ledger, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (dice() < scenario.ledgerCrashRate / 2) return hang();
        if (dice() < scenario.slowLedgerRate / 2) await slowly();
        if (dice() < scenario.ledgerFailureRate) throw throttled();
        const result: unknown = await value.apply(target, args);
        if (dice() < scenario.ledgerCrashRate / 2) return hang();
        if (dice() < scenario.slowLedgerRate / 2) await slowly();
        return result;
      };
    },
  });
}
