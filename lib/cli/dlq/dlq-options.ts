/**
 * The options the DLQ commands share: which queues (`withTarget`, the CLI's own with the DLQ), how
 * much to read and hold (`withRead`), which messages (`withFilters`, read into a
 * {@link MessageFilter} by {@link filterFrom}), and the ledger (`withLedger`, the CLI's own).
 *
 * Every value is checked as commander parses it, so a bad one is a usage error (exit 1, naming the
 * option and the value) before any queue is touched. An empty value is never "no filter": on call,
 * `--public-id "$ID"` with `ID` unset must not select every message.
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { DlqReasonClass } from "../../tools/dlq/dlq-message.ts";
import { DEFAULT_MAX_READ, MAX_READ } from "../../tools/dlq/dlq-reader.ts";
import { DlqArgumentError } from "../../tools/dlq/errors.ts";
import {
  type MessageFilter,
  parseDuration,
  parsePublicIdList,
  parseReasonClass,
} from "../../tools/dlq/filters.ts";
import { DEFAULT_HOLD_SECONDS } from "../../tools/dlq/held-messages.ts";
import { integerBetween, nonEmpty } from "../shared/arguments.ts";
import { withTarget as withSharedTarget } from "../shared/options.ts";

export { withLedger } from "../shared/options.ts";

/** The longest `--hold`: past it, a killed run would hide messages for longer than it saves calls. */
const MAX_HOLD_FLAG_SECONDS = 600;

export interface FilterFlags {
  publicId?: string[];
  publicIds?: string[];
  reasonClass?: DlqReasonClass[];
  status?: number[];
  errorType?: string[];
  olderThan?: number;
  newerThan?: number;
}

/** The queues (shared/options.ts, with the DLQ) and `--json`. */
export function withTarget(command: Command): Command {
  return withSharedTarget(command, { dlq: true }).option("--json", "print JSON");
}

/** How much a reading command reads, and how long it holds what it read. */
export function withRead(command: Command): Command {
  return command
    .option(
      "--max <n>",
      `read at most this many DLQ messages (at most ${MAX_READ}: all are held and kept in memory)`,
      integerBetween(1, MAX_READ),
      DEFAULT_MAX_READ,
    )
    .option(
      "--hold <seconds>",
      "how long a read message stays hidden unless extended as the command goes: the most a killed run hides it",
      integerBetween(1, MAX_HOLD_FLAG_SECONDS),
      DEFAULT_HOLD_SECONDS,
    );
}

export function withFilters(command: Command): Command {
  return command
    .option("--public-id <id>", "only this order (repeatable)", listOf(word), undefined)
    .option("--public-ids <file>", "only the orders listed in this file, one per line", publicIdsFile)
    .option(
      "--reason-class <class>",
      "invalid | permanent | exhausted | unclassified (repeatable)",
      listOf(reasonClass),
      undefined,
    )
    .option("--status <code>", "only this HTTP status (repeatable)", listOf(httpStatus), undefined)
    .option(
      "--error-type <type>",
      "only this Spot error type, e.g. not_found (repeatable)",
      listOf(word),
      undefined,
    )
    .option("--older-than <duration>", "last failed longer ago than this (30m, 2h, 7d)", duration)
    .option("--newer-than <duration>", "last failed within this (30m, 2h, 7d)", duration);
}

/** The filter from the (already checked) flags. */
export function filterFrom(flags: FilterFlags): MessageFilter {
  const publicIds = [...(flags.publicId ?? []), ...(flags.publicIds ?? [])];
  return {
    ...(publicIds.length > 0 ? { publicIds } : {}),
    ...(flags.reasonClass === undefined ? {} : { reasonClasses: flags.reasonClass }),
    ...(flags.status === undefined ? {} : { statuses: flags.status }),
    ...(flags.errorType === undefined ? {} : { errorTypes: flags.errorType }),
    ...(flags.olderThan === undefined ? {} : { olderThanMs: flags.olderThan }),
    ...(flags.newerThan === undefined ? {} : { newerThanMs: flags.newerThan }),
  };
}

/**
 * A repeatable option that also takes comma-separated values: `--status 404,400 --status 422`. An
 * empty part (`""`, `,`, `a,,b`) is an error: dropping it would widen the selection.
 */
function listOf<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => {
    const parts = value.split(",").map((part) => part.trim());
    if (parts.some((part) => part === "")) {
      throw new InvalidArgumentError("has an empty value (an unset variable? a stray comma?)");
    }
    return [...(previous ?? []), ...parts.map(parse)];
  };
}

/** An id or an error type; one that starts with `-` is a flag the shell moved into its place. */
function word(value: string): string {
  if (value.startsWith("-")) {
    throw new InvalidArgumentError("looks like an option, not a value (was the value left out?)");
  }
  return value;
}

function publicIdsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(nonEmpty(path), "utf8");
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError("cannot be read (a file of publicIds, one per line)");
  }
  return fromDlqArgument(() => parsePublicIdList(text, path).map(word));
}

function reasonClass(value: string): DlqReasonClass {
  return fromDlqArgument(() => parseReasonClass(value));
}

function duration(value: string): number {
  return fromDlqArgument(() => parseDuration(value));
}

function httpStatus(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 599)
    throw new InvalidArgumentError("must be an HTTP status code");
  return n;
}

/** The library's argument errors, as commander's: a usage error that names the option and value. */
function fromDlqArgument<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DlqArgumentError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
