/**
 * The message contract (v1): the one definition of an update on the queue. The handler, the
 * producer, the CSV importer and the DLQ tool all parse with it, and `schema/update-message.schema.json`
 * is generated from it for services that are not written in TypeScript.
 */

import * as z from "zod";
import { InvalidInputError } from "./errors.ts";
import { parseRfc3339, RFC3339_DATE_TIME, RFC3339_EXAMPLES } from "./rfc3339.ts";
import { isMissing } from "./zod-issues.ts";

/** Spot's order ids are short; anything longer is a mistake, not an order. */
const PUBLIC_ID_MAX_LENGTH = 64;
/** Letters, digits, `_` and `-` only: the id becomes a URL path segment. */
const PUBLIC_ID_PATTERN = /^[A-Za-z0-9_-]*$/;
/**
 * UTF-8 bytes of `metadata` serialised as JSON. Ten of these and their envelopes stay far inside a
 * 256 KiB SQS batch and Lambda's 6 MB payload, with room for the failure attributes of the DLQ.
 */
export const METADATA_MAX_BYTES = 16 * 1024;
/**
 * Levels of nesting metadata may have (the object itself is level 1). Deeper JSON is a mistake, and
 * the checks below (and zod's) recurse: 10,000 levels overflowed the stack and failed a whole batch.
 */
export const METADATA_MAX_DEPTH = 32;
/** Keys that mean something to JavaScript objects; no legitimate metadata needs them. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export const publicIdSchema = z
  .string()
  .min(1, { message: "must not be empty", abort: true })
  .max(PUBLIC_ID_MAX_LENGTH, `must be at most ${PUBLIC_ID_MAX_LENGTH} characters`)
  // Named on its own: a spreadsheet's stray space is the likeliest bad id, and trimming it silently
  // in one place (the importer) but not another (a service's message) would make one id two.
  .refine((id) => id.trim() !== "", { message: "must not be empty", abort: true })
  .refine((id) => id.trim() === id, { message: "has spaces before or after it", abort: true })
  .regex(PUBLIC_ID_PATTERN, "may hold only letters, digits, '_' and '-'")
  .describe("Spot's order id (order_id in Spot's responses), e.g. O1234567");

const metadataSchema = z
  .preprocess(
    (value, ctx) => {
      // Checked on the raw input: once parsed into a record, a "__proto__" key would already have
      // become the object's prototype and vanished from its keys.
      if (!isPlainObject(value)) return value;
      if (nestsDeeperThan(value, METADATA_MAX_DEPTH)) {
        ctx.addIssue({ code: "custom", message: `nests deeper than ${METADATA_MAX_DEPTH} levels` });
        return {}; // checked no further: every check below recurses
      }
      const bytes = Buffer.byteLength(JSON.stringify(value));
      if (bytes > METADATA_MAX_BYTES) {
        ctx.addIssue({
          code: "custom",
          message: `is ${bytes} bytes as JSON; the limit is ${METADATA_MAX_BYTES}`,
        });
      }
      const bad = findForbiddenKey(value);
      if (bad !== undefined) ctx.addIssue({ code: "custom", message: `holds the reserved key "${bad}"` });
      return value;
    },
    z.record(z.string(), z.json()),
  )
  .describe(
    `The order's new metadata, replaced as a whole ({} clears it); at most ${METADATA_MAX_BYTES} bytes as JSON`,
  );

const issuedAtSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseRfc3339(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
  })
  // For other languages' validators: the grammar as a pattern; the calendar and leap-second checks
  // above are what `format: date-time` asks of a validator that checks formats.
  .meta({ format: "date-time", pattern: RFC3339_DATE_TIME.source })
  .describe(
    `When the producer decided this metadata; orders updates for the same order (newest wins). An RFC 3339 date-time with an offset (Z or ±HH:MM; T, t or a space between date and time; Z or z; any number of fraction digits), e.g. ${RFC3339_EXAMPLES}. Its version is the instant in epoch milliseconds, UTC, digits past the millisecond truncated`,
  );

export const updateMessageSchema = z
  .strictObject({
    publicId: publicIdSchema,
    metadata: metadataSchema,
    issuedAt: issuedAtSchema.optional(),
  })
  .describe("spot-order-metadata update message, v1");

/** One update for one order, as it travels on the queue. */
export type UpdateMessage = z.infer<typeof updateMessageSchema>;
export type Metadata = UpdateMessage["metadata"];

export type ParseResult = { ok: true; message: UpdateMessage } | { ok: false; reason: string };

/**
 * Checks a value against the contract. The reason names each field that is wrong and why, and never
 * repeats a metadata value (they can hold health information).
 */
export function validateUpdate(value: unknown): ParseResult {
  const result = updateMessageSchema.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  return { ok: false, reason: result.error.issues.map((issue) => describeIssue(issue, value)).join("; ") };
}

/** Parses a message body (JSON text) and checks it against the contract. */
export function parseUpdate(body: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    // JSON.parse's own message quotes the body, which may hold metadata values.
    return { ok: false, reason: `body is not valid JSON (${Buffer.byteLength(body)} bytes)` };
  }
  return validateUpdate(value);
}

/**
 * The version time of an `issuedAt` the contract accepts, in epoch milliseconds: the instant in UTC
 * (its offset applied), with fraction digits past the millisecond truncated (`.827100` and `.8279`
 * are both 827 ms: two updates in one millisecond tie, and the metadata's tie-break decides), and a
 * leap second (`23:59:60.5Z`) read as 23:59:59.999. The handler, the ledger and the DLQ tools order
 * updates by it.
 * @throws InvalidInputError when `issuedAt` is not an RFC 3339 date-time ({@link validateUpdate} refuses such a message)
 */
export function issuedAtEpochMs(issuedAt: string): number {
  const parsed = parseRfc3339(issuedAt);
  if (!parsed.ok) throw new InvalidInputError(`issuedAt: ${parsed.reason}`);
  return parsed.epochMs;
}

/** The body to put on the queue: the same JSON for every producer. */
export function serializeUpdate(message: UpdateMessage): string {
  return JSON.stringify(message);
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const where = issue.path.length === 0 ? "body" : issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") return `${where}: unknown field(s) ${issue.keys.join(", ")}`;
  if (issue.code === "invalid_type") {
    return `${where}: ${isMissing(issue, value) ? "is required" : `must be ${article(issue.expected)}`}`;
  }
  // Below metadata the path is a key the producer chose; say where without echoing the value.
  if (issue.path[0] === "metadata" && issue.path.length > 1) return `${where}: is not a JSON value`;
  return `${where}: ${issue.message}`;
}

function article(expected: string): string {
  return expected === "object" || expected === "record" ? "a JSON object" : `a ${expected}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Without recursion, so that no depth can overflow the stack. */
function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== "object") continue;
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

function findForbiddenKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const bad = findForbiddenKey(item);
      if (bad !== undefined) return bad;
    }
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      const bad = findForbiddenKey((value as Record<string, unknown>)[key]);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/**
 * The body's `publicId` when it is a valid one, whatever else in the body is wrong: a message that
 * breaks the contract is still named by its order, and an invalid id is never taken for one.
 */
export function validPublicIdIn(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const checked = publicIdSchema.safeParse((value as Record<string, unknown>).publicId);
  return checked.success ? checked.data : undefined;
}
