/**
 * RFC 3339 (section 5.6) date-times, as `issuedAt` takes them: `T`, `t` or a space between date and
 * time (the RFC's grammar has `T`, either case; its note lets an application choose a space, which
 * GNU `date --rfc-3339` and Python's `str(datetime)` write), seconds required, any number of fraction
 * digits after a point, and an offset (`Z`, `z` or `±HH:MM`; `-00:00` is UTC too). ISO 8601's other
 * forms (no offset, no seconds, a decimal comma, `+0100`) are refused, with a reason saying what to
 * change. The message contract (`contract.ts`) checks with it and exposes the instant as epoch ms.
 */

/** RFC 3339's `date-time` (with the space its note allows), as a pattern for the JSON Schema too (ASCII digits only). */
export const RFC3339_DATE_TIME =
  /^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(?:\.([0-9]+))?(?:[Zz]|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))$/;

/** The same shape with every field loose: a value that fits it is near enough to tell what is wrong. */
const NEAR_DATE_TIME =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?<seconds>:[0-9]{2}(?:[.,][0-9]+)?)?(?<offset>[Zz]|[+-][0-9]{2}(?<colon>:?)[0-9]{2})?$/;

export const RFC3339_EXAMPLES = "2026-11-27T10:15:00.000Z or 2026-11-27T11:15:00.827100+01:00";

/** 400 Gregorian years are exactly this many days: shifts years 0–99 out of Date.UTC's 1900s reading. */
const FOUR_CENTURIES_MS = 146_097 * 86_400_000;
const MINUTES_A_DAY = 1_440;

export type Rfc3339Result = { ok: true; epochMs: number } | { ok: false; reason: string };

/**
 * The instant a date-time names, in epoch ms: the offset applied (UTC), fraction digits past the
 * millisecond dropped (truncated: `.8279` is 827 ms, so the instant is floored to its millisecond),
 * and a leap second (`23:59:60…` UTC) read as 23:59:59.999 so that it still sorts between its
 * neighbours. Otherwise the reason, to follow a field's name (`issuedAt: <reason>`).
 */
export function parseRfc3339(text: string): Rfc3339Result {
  const match = RFC3339_DATE_TIME.exec(text);
  if (match === null) return { ok: false, reason: whatIsWrong(text) };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as Six;
  if (day > daysIn(year, month))
    return { ok: false, reason: `names a day the calendar does not have (${text.slice(0, 10)})` };
  const [sign, offsetHours, offsetMinutes] = match.slice(8, 11);
  const offset =
    sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  const leap = second === 60;
  if (leap && minuteOfDay(hour * 60 + minute - offset) !== MINUTES_A_DAY - 1)
    return {
      ok: false,
      reason: "has second 60, which RFC 3339 allows only as a leap second, at 23:59:60 UTC",
    };
  const ms = leap ? 999 : Number((match[7] ?? "").slice(0, 3).padEnd(3, "0"));
  const local =
    Date.UTC(year + 400, month - 1, day, hour, minute, leap ? 59 : second, ms) - FOUR_CENTURIES_MS;
  return { ok: true, epochMs: local - offset * 60_000 };
}

type Six = [number, number, number, number, number, number];

function minuteOfDay(minutes: number): number {
  return ((minutes % MINUTES_A_DAY) + MINUTES_A_DAY) % MINUTES_A_DAY;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Why a value that is not an RFC 3339 date-time is not one, naming the commonest slips. */
function whatIsWrong(text: string): string {
  const generic = `must be an RFC 3339 date-time with an offset, such as ${RFC3339_EXAMPLES}`;
  const near = NEAR_DATE_TIME.exec(text)?.groups;
  if (near === undefined) return generic;
  if (near.seconds === undefined)
    return `has no seconds (Java's OffsetDateTime.toString() leaves them out at a whole minute): write HH:MM:SS (${generic})`;
  if (near.offset === undefined)
    return `has no offset, so it names no instant: end it with Z for UTC or with ±HH:MM (${generic})`;
  if (near.colon === "") return `writes its offset without a colon: write ±HH:MM (${generic})`;
  if (near.seconds.includes(",")) return `has a decimal comma: write a point (${generic})`;
  return `has a field out of range (month 01-12, day 01-31, hour 00-23, minute and offset minute 00-59, second 00-60) (${generic})`;
}
