/**
 * Where the handler's log lines go when it runs on this machine (`spot-meta worker`, `spot-meta dev`).
 * Not on a terminal, or with `--json`: the JSON lines as they are, for machines. On a terminal: for
 * a person — warnings and errors as readable lines (pino-pretty), the per-message outcomes as one
 * status line of counts, and, once the queue has been quiet for a while, a summary by outcome.
 */

import type { DestinationStream } from "pino";
import pinoPretty from "pino-pretty";
import { createTally, type RunTally } from "../../local/run-tally.ts";

/** Quiet this long after the last outcome, the run so far is summed up. */
const QUIET_MS = 10_000;
/** The status line is redrawn at most this often. */
const STATUS_EVERY_MS = 250;

export interface ConsoleOutput {
  /** The logger's destination. */
  destination: DestinationStream;
  /** The counts so far. */
  tally: RunTally;
  /** Prints the summary (if anything happened since the last) and stops redrawing. */
  close(): void;
}

/**
 * @param options.everyOutcome on a terminal, one short line for every message's outcome (applied
 *   and superseded too), as `spot-meta dev` shows them: a person there follows single updates. Else
 *   only the outcomes that need a look (dead-lettered, kept) are lines, the rest counted.
 */
export function consoleOutput(options: {
  json: boolean;
  stream?: NodeJS.WriteStream;
  everyOutcome?: boolean;
}): ConsoleOutput {
  const stream = options.stream ?? process.stdout;
  const tally = createTally();
  if (options.json || !stream.isTTY) {
    return {
      destination: { write: (line: string) => void stream.write(line) },
      tally,
      close() {},
    };
  }
  const terminal = new TerminalOutput(stream, tally, options.everyOutcome ?? false);
  return { destination: { write: (line) => terminal.write(line) }, tally, close: () => terminal.close() };
}

/** For a person: shown lines, a status line redrawn under them, a summary once the queue is quiet. */
class TerminalOutput {
  readonly #stream: NodeJS.WriteStream;
  readonly #tally: ReturnType<typeof createTally>;
  readonly #pretty: DestinationStream;
  readonly #quietWatch: ReturnType<typeof setInterval>;
  readonly #everyOutcome: boolean;
  #statusShown = false;
  #lastDrawn = 0;
  #lastOutcomeAt = 0;
  #summedUp = true;

  constructor(stream: NodeJS.WriteStream, tally: ReturnType<typeof createTally>, everyOutcome: boolean) {
    this.#stream = stream;
    this.#everyOutcome = everyOutcome;
    this.#tally = tally;
    this.#pretty = pinoPretty({
      destination: stream,
      colorize: true,
      translateTime: "SYS:HH:MM:ss",
      sync: true,
    });
    this.#quietWatch = setInterval(() => {
      if (!this.#summedUp && Date.now() - this.#lastOutcomeAt >= QUIET_MS) this.#sumUp();
    }, 1_000);
    this.#quietWatch.unref();
  }

  write(line: string): void {
    const before = outcomes(this.#tally);
    this.#tally.add(line);
    if (outcomes(this.#tally) > before) {
      this.#lastOutcomeAt = Date.now();
      this.#summedUp = false;
    }
    const outcome = outcomeLine(line);
    if (!isQuiet(line) || (this.#everyOutcome && outcome !== undefined)) {
      this.#clearStatus();
      if (outcome === undefined) this.#pretty.write(line);
      else this.#stream.write(outcome);
    }
    if (!this.#summedUp && Date.now() - this.#lastDrawn >= STATUS_EVERY_MS) this.#drawStatus();
  }

  close(): void {
    clearInterval(this.#quietWatch);
    this.#sumUp();
    this.#clearStatus();
  }

  #clearStatus(): void {
    if (this.#statusShown) this.#stream.write("\r\x1b[2K");
    this.#statusShown = false;
  }

  #drawStatus(): void {
    this.#stream.write(`\r\x1b[2K${statusLine(this.#tally)}`);
    this.#statusShown = true;
    this.#lastDrawn = Date.now();
  }

  #sumUp(): void {
    if (this.#summedUp) return;
    this.#clearStatus();
    this.#stream.write(`${summary(this.#tally)}\n`);
    this.#summedUp = true;
  }
}

/** Info lines (each message's outcome) go into the counts; warnings and errors are shown. */
function isQuiet(line: string): boolean {
  return (
    line.includes('"level":"info"') || line.includes('"level":"debug"') || line.includes('"level":"trace"')
  );
}

/** A message's outcome that is shown (dead-lettered, kept), in one short line: the order and why. */
function outcomeLine(line: string): string | undefined {
  const entry = JSON.parse(line) as Record<string, unknown>;
  if (typeof entry.outcome !== "string") return undefined;
  const at = entry.decidedAt ?? entry.time;
  const time = typeof at === "string" ? new Date(at).toLocaleTimeString("en-GB") : "";
  const why = [entry.reason, entry.cause].filter((part) => typeof part === "string").join("; ");
  return `[${time}] ${String(entry.level).toUpperCase()}: ${entry.outcome} ${String(entry.publicId ?? "(no id)")}${why === "" ? "" : `: ${why}`} (receive ${String(entry.receiveCount)})\n`;
}

const number = new Intl.NumberFormat("en-US");

function outcomes(tally: RunTally): number {
  return tally.applied + tally.superseded + tally.deadLettered + tally.retries;
}

function statusLine(tally: RunTally): string {
  return `applied ${number.format(tally.applied)} · superseded ${number.format(tally.superseded)} · dead-lettered ${number.format(tally.deadLettered)} · handed back ${number.format(tally.retries)}`;
}

function summary(tally: RunTally): string {
  const lines = [
    "── so far (the queue has been quiet for a while) ──",
    `  applied        ${number.format(tally.applied)}`,
    `  superseded     ${number.format(tally.superseded)}  (a newer or the same update won)`,
    `  dead-lettered  ${number.format(tally.deadLettered)}`,
    ...[...tally.deadLetteredBy].map(([reason, count]) => `    ${number.format(count)} × ${reason}`),
    `  handed back    ${number.format(tally.retries)}  (to be retried)`,
  ];
  if (tally.errors > 0) lines.push(`  error lines    ${number.format(tally.errors)}  (above)`);
  return lines.join("\n");
}
