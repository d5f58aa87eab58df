/**
 * The options the DLQ commands share: which queues (`withTarget`) and which messages
 * (`withFilters`, read into a {@link MessageFilter} by {@link filterFrom}).
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { DlqReasonClass } from "../dlq/dlq-message.ts";
import { DlqArgumentError } from "../dlq/errors.ts";
import { type MessageFilter, parseDuration, parsePublicIdList, parseReasonClass } from "../dlq/filters.ts";

export interface FilterFlags {
  publicId?: string[];
  publicIds?: string;
  reasonClass?: DlqReasonClass[];
  status?: number[];
  errorType?: string[];
  olderThan?: string;
  newerThan?: string;
}

export function withTarget(command: Command): Command {
  return command
    .option(
      "--queue-url <url>",
      "the source queue (else SPOT_META_QUEUE_URL, --outputs, or the running `spot-meta dev`)",
    )
    .option(
      "--dlq-url <url>",
      "the DLQ (else SPOT_META_DLQ_URL, --outputs, `spot-meta dev`, or the source queue's redrive policy)",
    )
    .option("--endpoint-url <url>", "a non-AWS SQS endpoint")
    .option("--region <region>", "the queues' region (default: from the queue URL or the AWS configuration)")
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`")
    .option("--max <n>", "read at most this many DLQ messages", positiveInteger, 10_000)
    .option("--json", "print JSON");
}

export function withFilters(command: Command): Command {
  return command
    .option(
      "--public-id <id>",
      "only this order (repeatable)",
      collect<string>((v) => v),
      undefined,
    )
    .option("--public-ids <file>", "only the orders listed in this file, one per line")
    .option(
      "--reason-class <class>",
      "invalid | permanent | exhausted | unclassified (repeatable)",
      collect(reasonClass),
      undefined,
    )
    .option("--status <code>", "only this HTTP status (repeatable)", collect(httpStatus), undefined)
    .option(
      "--error-type <type>",
      "only this Spot error type, e.g. not_found (repeatable)",
      collect<string>((v) => v),
      undefined,
    )
    .option("--older-than <duration>", "last failed longer ago than this (30m, 2h, 7d)")
    .option("--newer-than <duration>", "last failed within this (30m, 2h, 7d)");
}

/** The filter from the flags. @throws DlqArgumentError for a bad duration or ids file */
export function filterFrom(flags: FilterFlags): MessageFilter {
  const publicIds = [
    ...(flags.publicId ?? []),
    ...(flags.publicIds === undefined ? [] : parsePublicIdList(readIds(flags.publicIds), flags.publicIds)),
  ];
  const filter: MessageFilter = {
    ...(publicIds.length > 0 ? { publicIds } : {}),
    ...(flags.reasonClass === undefined ? {} : { reasonClasses: flags.reasonClass }),
    ...(flags.status === undefined ? {} : { statuses: flags.status }),
    ...(flags.errorType === undefined ? {} : { errorTypes: flags.errorType }),
    ...(flags.olderThan === undefined ? {} : { olderThanMs: parseDuration(flags.olderThan) }),
    ...(flags.newerThan === undefined ? {} : { newerThanMs: parseDuration(flags.newerThan) }),
  };
  return filter;
}

function readIds(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new DlqArgumentError(`cannot read ${path} (--public-ids: a file of publicIds, one per line)`);
  }
}

/** A repeatable option that also takes comma-separated values: `--status 404,400 --status 422`. */
function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "")
      .map(parse),
  ];
}

function reasonClass(value: string): DlqReasonClass {
  try {
    return parseReasonClass(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function httpStatus(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 599)
    throw new InvalidArgumentError("must be an HTTP status code");
  return n;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}
