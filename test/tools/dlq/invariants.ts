/**
 * What no run of a DLQ command may leave behind, whatever failed or stopped it: a lost message, a
 * message outside the filter removed or replayed, a message hidden past the run's hold.
 */
import type { BareDlq, SeededMessage } from "./bare-dlq.ts";

/** Time between the last extend and the look at the queue, beyond the hold itself. */
const SLACK_MS = 300;

export interface Expectations {
  /** The messages the command's filter selects. */
  selects: (message: SeededMessage) => boolean;
  /** A purge with --yes: selected messages may be gone. */
  mayRemove: boolean;
  /** The run's --hold, in ms: the most a message may stay hidden after it. */
  holdMs: number;
  /** The run ended by a way that releases (anything but SIGKILL): nothing may be hidden at all. */
  released: boolean;
}

/** @returns each broken promise in words; empty when all held */
export async function violations(bare: BareDlq, expected: Expectations): Promise<string[]> {
  const [dlq, source] = [await bare.dlq(), await bare.source()];
  const replayed = new Set(source.issuedAt.values());
  const problems: string[] = [];
  for (const [messageId, message] of bare.seeded) {
    const kept = dlq.issuedAt.get(messageId) === message.issuedAt;
    const name = `${message.publicId}@${message.issuedAt}`;
    if (!expected.selects(message)) {
      if (!kept) problems.push(`${name} is outside the filter and left the DLQ`);
      if (replayed.has(message.issuedAt)) problems.push(`${name} is outside the filter and was replayed`);
    } else if (!kept && !replayed.has(message.issuedAt) && !expected.mayRemove) {
      problems.push(`${name} is lost`);
    }
  }
  const bound = expected.released ? 0 : expected.holdMs + SLACK_MS;
  const late = dlq.hiddenForMs.filter((ms) => ms > bound);
  if (late.length > 0) {
    problems.push(
      `${late.length} hidden for up to ${Math.max(...late)} ms after the run (bound ${bound} ms)`,
    );
  }
  return problems;
}
