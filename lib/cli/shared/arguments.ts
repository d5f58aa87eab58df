/** Parsers of the CLI's numeric arguments: one wording for every command's refusals. */
import { InvalidArgumentError } from "commander";

export function positiveInteger(value: string): number {
  return integerBetween(1, Number.MAX_SAFE_INTEGER)(value);
}

/** A number above 0, fractions allowed (a rate, an interval in seconds). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("must be a positive number");
  return n;
}

/** A parser of whole numbers from `min` to `max`. */
export function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? "must be a positive whole number"
          : `must be a whole number, at least ${min} and at most ${max}`,
      );
    }
    return n;
  };
}

/** A value that must be given: an empty one is an unset variable, not a choice. */
export function nonEmpty(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("must not be empty (an unset variable?)");
  return value;
}
