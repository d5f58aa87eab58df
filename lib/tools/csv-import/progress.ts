/**
 * Progress of an import on stderr: a cli-progress bar on a terminal, a plain line every few seconds
 * otherwise (logs, CI), or nothing (library calls, tests).
 */
import cliProgress from "cli-progress";

export interface ProgressCounts {
  /** Data rows in the file. */
  total: number;
  /** Rows handled so far in this run (read and decided, or done in an earlier run). */
  read: number;
  queued: number;
  rejected: number;
  superseded: number;
}

export type ProgressMode = "auto" | "bar" | "lines" | "none";

export interface ProgressReporter {
  update(counts: ProgressCounts): void;
  stop(): void;
}

const number = new Intl.NumberFormat("en-US");

/** @param mode "auto": a bar when stderr is a terminal, lines otherwise */
export function createProgress(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 5_000,
): ProgressReporter {
  const resolved = mode === "auto" ? (stream.isTTY ? "bar" : "lines") : mode;
  if (resolved === "none") return { update() {}, stop() {} };
  const started = performance.now();
  const rate = (counts: ProgressCounts) =>
    number.format(
      Math.round((counts.queued + counts.rejected) / Math.max(0.001, (performance.now() - started) / 1000)),
    );
  if (resolved === "lines") {
    return lineEvery<ProgressCounts>(
      stream,
      intervalMs,
      (counts) =>
        `import: ${number.format(counts.read)}/${number.format(counts.total)} rows, ${number.format(counts.queued)} queued, ${number.format(counts.rejected)} rejected, ${number.format(counts.superseded)} superseded, ${rate(counts)} rows/s\n`,
    );
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "import |{bar}| {percentage}% {value}/{total} rows | queued {queued} | rejected {rejected} | {rate} rows/s | eta {eta_formatted}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started_ = false;
  const payload = (counts: ProgressCounts) => ({
    queued: number.format(counts.queued),
    rejected: number.format(counts.rejected),
    rate: rate(counts),
  });
  return {
    update(counts) {
      if (!started_) {
        bar.start(counts.total, counts.read, payload(counts));
        started_ = true;
      } else bar.update(counts.read, payload(counts));
    },
    stop() {
      if (started_) bar.stop();
    },
  };
}

/** Progress for logs and CI: a line every `intervalMs` at most, and the last one when it stops. */
export function lineEvery<T>(
  stream: NodeJS.WriteStream,
  intervalMs: number,
  line: (value: T) => string,
): { update(value: T): void; stop(): void } {
  let last = performance.now();
  let latest: T | undefined;
  return {
    update(value) {
      latest = value;
      if (performance.now() - last < intervalMs) return;
      last = performance.now();
      stream.write(line(value));
    },
    stop() {
      if (latest !== undefined) stream.write(line(latest));
    },
  };
}
