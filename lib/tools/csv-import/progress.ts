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

/**
 * @param mode "auto": a bar when stderr is a terminal, lines otherwise
 * @param dryRun a dry run sends nothing: its rows are counted as "would queue", never "queued"
 */
export function createProgress(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 5_000,
  dryRun = false,
): ProgressReporter {
  const queued = dryRun ? "would queue" : "queued";
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
        `import: ${number.format(counts.read)}/${number.format(counts.total)} rows, ${number.format(counts.queued)} ${queued}, ${number.format(counts.rejected)} rejected, ${number.format(counts.superseded)} superseded, ${rate(counts)} rows/s\n`,
    );
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        "import |{bar}| {percentage}% {value}/{total} rows | {queuedWord} {queued} | rejected {rejected} | {rate} rows/s | eta {eta_formatted}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return barReporter(bar, (counts: ProgressCounts) => ({
    total: counts.total,
    value: counts.read,
    payload: {
      queuedWord: queued,
      queued: number.format(counts.queued),
      rejected: number.format(counts.rejected),
      rate: rate(counts),
    },
  }));
}

/**
 * Drives a cli-progress bar, which stays stopped once stopped: an update after `stop()` (one
 * already on its way from the import's worker) draws nothing. Stopping puts the cursor back where
 * the bar began and ends its line, so a caller stops the bar before it writes anything else (a
 * Ctrl-C's message, the summary); a bar drawn after that would land over what was written.
 */
export function barReporter<T>(
  bar: cliProgress.SingleBar,
  show: (value: T) => { total: number; value: number; payload: Record<string, string> },
): { update(value: T): void; stop(): void } {
  let state: "new" | "drawn" | "stopped" = "new";
  return {
    update(value) {
      if (state === "stopped") return;
      const { total, value: at, payload } = show(value);
      if (state === "new") bar.start(total, at, payload);
      else {
        bar.setTotal(total);
        bar.update(at, payload);
      }
      state = "drawn";
    },
    stop() {
      if (state === "drawn") bar.stop();
      state = "stopped";
    },
  };
}

/** Progress for logs and CI: a line every `intervalMs` at most, and the last one when it stops (once). */
export function lineEvery<T>(
  stream: NodeJS.WriteStream,
  intervalMs: number,
  line: (value: T) => string,
): { update(value: T): void; stop(): void } {
  let last = performance.now();
  let latest: T | undefined;
  let stopped = false;
  return {
    update(value) {
      if (stopped) return;
      latest = value;
      if (performance.now() - last < intervalMs) return;
      last = performance.now();
      stream.write(line(value));
    },
    stop() {
      if (!stopped && latest !== undefined) stream.write(line(latest));
      stopped = true;
    },
  };
}
