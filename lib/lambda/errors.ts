/**
 * The project's error family. Callers switch on the class (or `name`), never on message text.
 * No error here ever carries the Spot token or a metadata value in its text.
 */

/** Base of every error this project throws on purpose. */
export class SpotMetaError extends Error {
  override name = "SpotMetaError";
}

/** The configuration is wrong; `problems` names each setting and what is wrong with it. */
export class ConfigError extends SpotMetaError {
  override name = "ConfigError";
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

/** Input that breaks the message contract (a body, a CSV row, an argument). */
export class InvalidInputError extends SpotMetaError {
  override name = "InvalidInputError";
}

/** Something did not happen in the time it had (an invocation, a queue to drain). */
export class TimedOutError extends SpotMetaError {
  override name = "TimedOutError";
}

/** A service, or a part of this program, answered in a way it never should: a bug to report. */
export class UnexpectedAnswerError extends SpotMetaError {
  override name = "UnexpectedAnswerError";
}

/** An error as one line for a log or a reason: its class and its message (anything else, as text). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
