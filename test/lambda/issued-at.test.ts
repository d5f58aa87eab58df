/**
 * `issuedAt` as services in other languages write it: every RFC 3339 date-time is accepted and maps
 * to one version (epoch ms of the instant in UTC, digits past the millisecond truncated); anything
 * else is refused with a reason that names the field and says what to change.
 */
import { describe, expect, it } from "vitest";
import { issuedAtEpochMs, validateUpdate } from "../../lib/lambda/contract.ts";
import { InvalidInputError } from "../../lib/lambda/errors.ts";
import { planBatch } from "../../lib/lambda/processor/plan.ts";
import { sqsRecord } from "../support/records.ts";

const versionOf = (issuedAt: string) => new Date(issuedAtEpochMs(issuedAt)).toISOString();
const reasonFor = (issuedAt: string) => {
  const result = validateUpdate({ publicId: "O1", metadata: {}, issuedAt });
  return result.ok ? "ok" : result.reason;
};

describe("issuedAt as other languages print it", () => {
  it.each([
    // Python 3
    [
      "Python datetime.now(timezone.utc).isoformat()",
      "2026-12-07T10:16:37.827100+00:00",
      "2026-12-07T10:16:37.827Z",
    ],
    ["Python, at a whole second (no fraction)", "2026-12-07T10:16:37+00:00", "2026-12-07T10:16:37.000Z"],
    [
      "Python datetime.now().astimezone().isoformat()",
      "2026-12-07T11:16:37.827100+01:00",
      "2026-12-07T10:16:37.827Z",
    ],
    [
      "Python isoformat(timespec='milliseconds')",
      "2026-12-07T10:16:37.827+00:00",
      "2026-12-07T10:16:37.827Z",
    ],
    [
      "Python str(datetime.now(timezone.utc))",
      "2026-12-07 10:16:37.827100+00:00",
      "2026-12-07T10:16:37.827Z",
    ],
    // Go
    [
      "Go time.Now().UTC().Format(time.RFC3339Nano)",
      "2026-12-07T10:16:37.827100123Z",
      "2026-12-07T10:16:37.827Z",
    ],
    ["Go RFC3339Nano, trailing zeros trimmed", "2026-12-07T10:16:37.8271Z", "2026-12-07T10:16:37.827Z"],
    ["Go RFC3339Nano in New York", "2026-12-07T05:16:37.827100123-05:00", "2026-12-07T10:16:37.827Z"],
    [
      "Go RFC3339Nano in India, last nanosecond",
      "2026-12-07T15:46:37.999999999+05:30",
      "2026-12-07T10:16:37.999Z",
    ],
    ["Go time.RFC3339", "2026-12-07T10:16:37Z", "2026-12-07T10:16:37.000Z"],
    // Java
    ["Java Instant.now().toString()", "2026-12-07T10:16:37.827100123Z", "2026-12-07T10:16:37.827Z"],
    ["Java Instant.toString(), millisecond clock", "2026-12-07T10:16:37.827Z", "2026-12-07T10:16:37.827Z"],
    ["Java OffsetDateTime.now().toString()", "2026-12-07T11:16:37.827100+01:00", "2026-12-07T10:16:37.827Z"],
    ["Java ISO_OFFSET_DATE_TIME", "2026-12-07T11:16:00+01:00", "2026-12-07T10:16:00.000Z"],
    // Ruby
    ["Ruby Time.now.utc.iso8601(6)", "2026-12-07T10:16:37.827100Z", "2026-12-07T10:16:37.827Z"],
    ["Ruby Time.now.iso8601(6)", "2026-12-07T11:16:37.827100+01:00", "2026-12-07T10:16:37.827Z"],
    // The AWS CLI, and the shell around it
    ["AWS CLI v2 (timestamps in iso8601)", "2026-12-07T10:16:37.827000+00:00", "2026-12-07T10:16:37.827Z"],
    ["date -u +%Y-%m-%dT%H:%M:%S.%3NZ", "2026-12-07T10:16:37.827Z", "2026-12-07T10:16:37.827Z"],
    ["date --rfc-3339=ns", "2026-12-07 10:16:37.827100123+00:00", "2026-12-07T10:16:37.827Z"],
    // What RFC 3339 allows besides
    ["lower-case t and z", "2026-12-07t10:16:37.827z", "2026-12-07T10:16:37.827Z"],
    ["-00:00 (UTC, local offset unknown)", "2026-12-07T10:16:37.827-00:00", "2026-12-07T10:16:37.827Z"],
    ["an offset that crosses the year", "2027-01-01T01:30:00.5+02:00", "2026-12-31T23:30:00.500Z"],
    [
      "a leap second, read as the second's last millisecond",
      "2016-12-31T23:59:60.5Z",
      "2016-12-31T23:59:59.999Z",
    ],
    ["a leap second at another offset", "2016-12-31T15:59:60-08:00", "2016-12-31T23:59:59.999Z"],
    ["29 February of a leap year", "2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z"],
  ])("%s: %s is %s", (_, issuedAt, version) => {
    expect(reasonFor(issuedAt)).toBe("ok");
    expect(versionOf(issuedAt)).toBe(version);
  });

  it("gives the instant in epoch ms, truncating (never rounding) digits past the millisecond", () => {
    expect(issuedAtEpochMs("2026-12-07T10:16:37.827100+00:00")).toBe(1_796_638_597_827);
    expect(issuedAtEpochMs("2026-12-07T10:16:37.8279999Z")).toBe(1_796_638_597_827);
    expect(issuedAtEpochMs("1970-01-01T00:00:00.0009Z")).toBe(0);
    expect(issuedAtEpochMs("1969-12-31T23:59:59.9999Z")).toBe(-1);
    expect(issuedAtEpochMs("0001-01-01T00:00:00Z")).toBe(Date.parse("0001-01-01T00:00:00.000Z"));
  });

  it("gives one instant one version, whichever offset and precision write it", () => {
    const same = [
      "2026-12-07T10:16:37.827Z",
      "2026-12-07T10:16:37.827000+00:00",
      "2026-12-07T11:16:37.827100+01:00",
      "2026-12-07T05:16:37.827999999-05:00",
      "2026-12-07t15:46:37.8275+05:30",
    ];
    expect(new Set(same.map(issuedAtEpochMs))).toStrictEqual(new Set([1_796_638_597_827]));
  });
});

describe("the handler's plan with other languages' timestamps", () => {
  it("takes them as valid and keeps the newest instant for an order, whatever offset or precision wrote it", () => {
    // Prepare: by their text the Go one sorts last; by their instants the Python one is the newest
    const python = sqsRecord({
      publicId: "A",
      metadata: { by: "python" },
      issuedAt: "2026-12-07T10:16:37.828100+00:00",
    });
    const java = sqsRecord({
      publicId: "A",
      metadata: { by: "java" },
      issuedAt: "2026-12-07T11:16:37.827999+01:00",
    });
    const go = sqsRecord({
      publicId: "A",
      metadata: { by: "go" },
      issuedAt: "2026-12-07T05:16:37.8275-05:00",
    });

    // Act
    const plan = planBatch([go, python, java], {
      now: Date.parse("2026-12-07T10:17:00Z"),
      maxClockSkewMs: 300_000,
    });

    // Assess
    expect(plan.invalid).toStrictEqual([]);
    expect(plan.work.map((work) => [work.message.metadata, work.version.issuedAt])).toStrictEqual([
      [{ by: "python" }, Date.parse("2026-12-07T10:16:37.828Z")],
    ]);
  });
});

describe("issuedAt that is not RFC 3339", () => {
  const generic =
    "must be an RFC 3339 date-time with an offset, such as 2026-11-27T10:15:00.000Z or 2026-11-27T11:15:00.827100+01:00";

  it.each([
    [
      "Python datetime.utcnow().isoformat() (no offset)",
      "2026-12-07T10:16:37.827100",
      `issuedAt: has no offset, so it names no instant: end it with Z for UTC or with ±HH:MM (${generic})`,
    ],
    [
      "Java OffsetDateTime.toString() at a whole minute",
      "2026-12-07T11:16+01:00",
      `issuedAt: has no seconds (Java's OffsetDateTime.toString() leaves them out at a whole minute): write HH:MM:SS (${generic})`,
    ],
    ["Java ZonedDateTime.toString()", "2026-12-07T11:16:37.827+01:00[Europe/Berlin]", `issuedAt: ${generic}`],
    [
      "GNU date --iso-8601=ns (a decimal comma)",
      "2026-12-07T10:16:37,827100123+00:00",
      `issuedAt: has a decimal comma: write a point (${generic})`,
    ],
    [
      "an offset without a colon",
      "2026-12-07T10:16:37+0000",
      `issuedAt: writes its offset without a colon: write ±HH:MM (${generic})`,
    ],
    [
      "month 13",
      "2026-13-01T00:00:00Z",
      `issuedAt: has a field out of range (month 01-12, day 01-31, hour 00-23, minute and offset minute 00-59, second 00-60) (${generic})`,
    ],
    [
      "hour 24",
      "2026-12-07T24:00:00Z",
      `issuedAt: has a field out of range (month 01-12, day 01-31, hour 00-23, minute and offset minute 00-59, second 00-60) (${generic})`,
    ],
    ["30 February", "2026-02-30T10:00:00Z", "issuedAt: names a day the calendar does not have (2026-02-30)"],
    [
      "29 February of a common year",
      "2100-02-29T10:00:00Z",
      "issuedAt: names a day the calendar does not have (2100-02-29)",
    ],
    [
      "second 60 that is no leap second",
      "2026-12-07T10:16:60Z",
      "issuedAt: has second 60, which RFC 3339 allows only as a leap second, at 23:59:60 UTC",
    ],
    ["a date only", "2026-12-07", `issuedAt: ${generic}`],
    ["epoch seconds as text", "1796638597", `issuedAt: ${generic}`],
    ["a fraction point without digits", "2026-12-07T10:16:37.Z", `issuedAt: ${generic}`],
    ["non-ASCII digits", "２０２６-12-07T10:16:37Z", `issuedAt: ${generic}`],
    ["a word", "yesterday", `issuedAt: ${generic}`],
    ["empty", "", `issuedAt: ${generic}`],
  ])("refuses %s (%s), naming the field", (_, issuedAt, reason) => {
    expect(reasonFor(issuedAt)).toBe(reason);
    expect(() => issuedAtEpochMs(issuedAt)).toThrow(new InvalidInputError(reason));
  });

  it("refuses an issuedAt that is not a string, naming the field", () => {
    expect(validateUpdate({ publicId: "O1", metadata: {}, issuedAt: 1_796_638_597_827 })).toStrictEqual({
      ok: false,
      reason: "issuedAt: must be a string",
    });
  });
});
