/**
 * Where the machine's CPU went during a benchmark, sampled every half second from /proc (Linux): how
 * much stayed idle, and how much the benchmark's own process (here: the local stack, the embedded
 * SQS and DynamoDB, the Spot sandbox) and its child processes (the workers) used, so a figure that
 * falls short can be told apart from a machine that had nothing left. Elsewhere it records nothing.
 */
import { readFileSync } from "node:fs";

const SAMPLE_MS = 500;
/** Linux's clock ticks per second (USER_HZ), in which /proc counts CPU time. */
const TICKS_PER_SECOND = 100;

interface Sample {
  at: number;
  /** Ticks of every core since boot: all, and idle (iowait included). */
  total: number;
  idle: number;
  /** CPU seconds of this process, and of the watched children. */
  own: number;
  children: number;
}

/** Shares of the machine's CPU over a span (0..1 of all its cores). */
export interface CpuShares {
  cores: number;
  idle: number;
  /** The benchmark's process: the local stack. */
  stack: number;
  /** The workers. */
  workers: number;
  /** Everything else on the machine (other work). */
  others: number;
}

export class CpuSampler {
  readonly #samples: Sample[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #pids: () => number[];
  readonly #cores: number;

  /** @param pids the processes whose CPU counts as the workers', read at each sample */
  constructor(pids: () => number[]) {
    this.#pids = pids;
    this.#cores = coreCount();
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sample();
  }

  /** The shares between the samples nearest `from` and `to`; undefined without /proc. */
  sharesBetween(from: number, to: number): CpuShares | undefined {
    const first = this.#samples.findLast((s) => s.at <= from) ?? this.#samples[0];
    const last = this.#samples.find((s) => s.at >= to) ?? this.#samples.at(-1);
    if (first === undefined || last === undefined || last.total <= first.total) return undefined;
    const ticks = last.total - first.total;
    const share = (seconds: number) => (seconds * TICKS_PER_SECOND) / ticks;
    const idle = (last.idle - first.idle) / ticks;
    const stack = share(last.own - first.own);
    const workers = share(last.children - first.children);
    return { cores: this.#cores, idle, stack, workers, others: Math.max(0, 1 - idle - stack - workers) };
  }

  #sample(): void {
    const machine = machineTicks();
    if (machine === undefined) return;
    const usage = process.cpuUsage();
    const children = this.#pids().reduce((sum, pid) => sum + processSeconds(pid), 0);
    // A worker that exited takes its ticks with it: keep the count from going back.
    const previous = this.#samples.at(-1)?.children ?? 0;
    this.#samples.push({
      at: Date.now(),
      ...machine,
      own: (usage.user + usage.system) / 1e6,
      children: Math.max(previous, children),
    });
  }
}

function machineTicks(): { total: number; idle: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is inside user already)
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return { total, idle: (ticks[3] ?? 0) + (ticks[4] ?? 0) };
  } catch {
    return undefined;
  }
}

/** A process's user + system CPU seconds, 0 once it is gone. */
function processSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function coreCount(): number {
  try {
    return readFileSync("/proc/stat", "utf8")
      .split("\n")
      .filter((line) => /^cpu\d+ /.test(line)).length;
  } catch {
    return 0;
  }
}
