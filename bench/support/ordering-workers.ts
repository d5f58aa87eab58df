/**
 * `spot-meta worker` processes for the benchmarks that measure what is deployed (bench/ordering.ts,
 * bench/pace.ts): each its own OS process with one poller and the handler's default settings (or
 * the few a benchmark names), pointed by flags at the local stack's queue and ledger, and by the
 * handler's own variables at its DLQ and the Spot sandbox, as a worker against a deployed queue is.
 * Their JSON log lines are read from stdout as they come.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LocalStack } from "../../lib/local/local-stack.ts";

/** The CLI of the checkout this file is in (bench/support → ../../bin). */
const SPOT_META = fileURLToPath(new URL("../../bin/spot-meta.ts", import.meta.url));
/** What a worker prints on stderr once its poller runs. */
const READY_LINE = "spot-meta worker: consuming";
/** A worker stopped finishes its invocations and its long poll (5 s); past this it is killed. */
const STOP_GRACE_MS = 75_000;

export interface Workers {
  /** Resolves once every worker polls; rejects with a worker's stderr if one exits first. */
  ready: Promise<void>;
  /** SIGTERM, then SIGKILL for any still running after the grace. */
  stop(): Promise<void>;
  /** SIGKILL, at once (for the process's exit). */
  kill(): void;
  /** What the workers wrote on stderr, besides their start lines. */
  stderr: string[];
  /** The workers' process ids, in the order of their indexes (for their CPU time). */
  pids: number[];
}

/**
 * Starts `count` workers. `onLine` gets each stdout line (a log line, or an EMF metrics document)
 * with the worker's index.
 * @param settings handler variables (`SPOT_META_*`) over the defaults, the same for every worker
 */
export function startWorkers(
  count: number,
  stack: LocalStack,
  onLine: (worker: number, line: string) => void,
  settings: Record<string, string> = {},
): Workers {
  const stderr: string[] = [];
  let stopping = false;
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [SPOT_META, "worker", ...workerFlags(stack)], {
      env: { ...workerEnvironment(stack), ...settings },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const ready = Promise.all(
    children.map((child, worker) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) =>
        onLine(worker, line),
      );
      child.on("exit", (code, signal) => {
        if (!stopping) stderr.push(`worker ${worker}: exited unexpectedly (${signal ?? code})`);
      });
      return readyOf(child, worker, stderr);
    }),
  ).then(() => undefined);
  const running = () => children.filter((child) => child.exitCode === null && child.signalCode === null);
  return {
    ready,
    stderr,
    pids: children.map((child) => child.pid ?? 0),
    kill: () => {
      for (const child of running()) child.kill("SIGKILL");
    },
    stop: () => {
      stopping = true;
      return Promise.all(running().map(stopOne)).then(() => undefined);
    },
  };
}

/** The worker's flags: the queue and the ledger, on the local stack's endpoints. */
function workerFlags(stack: LocalStack): string[] {
  if (stack.dynamoDb === undefined) throw new Error("the ordering benchmark needs the ledger");
  return [
    ["--queue-url", stack.queues.queueUrl],
    ["--endpoint-url", stack.queues.endpoint],
    ["--region", stack.queues.region],
    ["--ledger-table", stack.dynamoDb.table],
    ["--ledger-endpoint-url", stack.dynamoDb.endpoint],
    ["--json"],
  ].flat();
}

/**
 * The environment without any `SPOT_META_*` of the caller's (every setting at its default), plus
 * what a deployment sets: the DLQ and Spot (here the sandbox, with its made-up token).
 */
function workerEnvironment(stack: LocalStack): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("SPOT_META_") && !name.startsWith("AWS_ENDPOINT_URL"),
    ),
  );
  return {
    ...env,
    SPOT_META_DLQ_URL: stack.queues.dlqUrl,
    SPOT_META_SPOT_BASE_URL: stack.sandbox.url,
    SPOT_META_SPOT_TOKEN: stack.sandbox.token,
  };
}

function readyOf(child: ChildProcess, worker: number, stderr: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith(READY_LINE)) resolve();
      else if (!isStopLine(line)) stderr.push(`worker ${worker}: ${line}`);
    });
    child.on("exit", (code, signal) =>
      reject(new Error(`worker ${worker} exited before polling (${signal ?? code}): ${stderr.join("\n")}`)),
    );
  });
}

async function stopOne(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** What a worker says as it is stopped (the bench stops it): not a problem to report. */
function isStopLine(line: string): boolean {
  return line.trim() === "" || line.startsWith("  ") || /^stopp(ing|ed)\b/.test(line);
}
