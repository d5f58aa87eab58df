/**
 * What an answer from Spot proves for one message (docs/spot-api.md), as pure functions of what came
 * back: applied, permanent (retrying cannot help), systemic (not the message's fault) or transient
 * (may pass), and whether the write may have landed. Nothing here does I/O, so every row of the
 * table is tested without a server.
 */
import type { z } from "zod";
import { type OrderFull, orderFullSchema } from "./order-schema.ts";
import type { FailedOutcome, OutcomeKind, SpotErrorBody } from "./outcome.ts";

/** What a failed call at Spot proved, before its attempts and latency are known (the client adds those). */
export type SpotFailure = Omit<FailedOutcome, "attempts" | "latencyMs">;

/** What a 200 came to: this order (with how it drifts from the schema), or why it proves nothing. */
export type SuccessCheck =
  | { ok: true; order: OrderFull; drift: string[] }
  | { ok: false; failure: SpotFailure };

const REASON_MAX = 500;

/**
 * Classifies a non-2xx answer by what it proves. Only Spot's own error envelope with a 4xx proves
 * Spot refused the write; anything else (a 5xx, a page or JSON from something in front of Spot) may
 * come after the write landed, or say nothing about it.
 * @param body ky's `HTTPError.data`: the parsed JSON for a JSON content type, the text otherwise,
 *   undefined when empty or unreadable.
 * @param retryAfter the raw `Retry-After` header, if any.
 */
export function classifyHttpFailure(
  status: number,
  body: unknown,
  retryAfter: string | null,
  now: number,
): SpotFailure {
  const spotError = readSpotError(body);
  const isJson = spotError !== undefined || isJsonValue(body);
  const retryAfterMs = retryAfter === null ? undefined : parseRetryAfter(retryAfter, now);
  const details = spotError?.details ?? [describeBody(body, isJson)];
  const errorType = spotError?.type;
  const refused = spotError !== undefined && status >= 400 && status < 500;
  const base = (kind: SpotFailure["kind"], reason: string, type: string | undefined): SpotFailure => ({
    kind,
    status,
    ...(type === undefined ? {} : { errorType: type }),
    details,
    reason: truncate(reason),
    logReason: truncate(reason.replace(said, saidForLogs)),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    mayHaveLanded: !refused,
  });
  const said = `${status}${errorType === undefined ? "" : ` ${errorType}`}: ${details.join("; ")}`;
  const fields = spotError === undefined ? [] : fieldsNamedIn(spotError.details);
  const saidForLogs = `${status}${errorType === undefined ? "" : ` ${errorType}`}${spotError === undefined ? `: ${details.join("; ")}` : fields.length > 0 ? ` (fields: ${fields.join(", ")})` : ""}`;

  if (status >= 300 && status < 400) {
    // Not followed (see the client), so the write never reached the endpoint.
    return {
      ...base("systemic", `Spot answered ${status} (a redirect): is the base URL right?`, "redirect"),
      mayHaveLanded: false,
    };
  }
  if (status === 401 || status === 403) {
    const type = errorType ?? (status === 401 ? "unauthorized" : "forbidden");
    return base("systemic", `Spot refused the token (${said}); every message would fail the same way`, type);
  }
  if (status === 408 || status === 429 || status >= 500) {
    return base(
      "transient",
      `Spot answered ${said}`,
      errorType ?? (isJson ? "not_spot_envelope" : "non_json_error"),
    );
  }
  if (spotError === undefined) {
    // A 4xx outside Spot's envelope comes from something in front of Spot (a gateway, a WAF), not
    // from Spot judging this message: dead-lettering for it would be wrong.
    return {
      ...base(
        "transient",
        `${said} (not Spot's error envelope: a gateway?)`,
        isJson ? "not_spot_envelope" : "non_json_error",
      ),
      foreign: true,
    };
  }
  if (status >= 400) return base("permanent", `Spot answered ${said}`, errorType);
  return base("transient", `Spot answered an unexpected ${said}`, errorType);
}

/** A failure with no answer at all, after a request was sent: it may have landed. */
export function classifyNoAnswer(
  errorType: "timeout" | "network" | "aborted" | "deadline",
  detail: string,
): SpotFailure {
  const reason = truncate(`no answer from Spot: ${detail}`);
  return { kind: "transient", errorType, details: [detail], reason, logReason: reason, mayHaveLanded: true };
}

/** A failure found before any request was sent (an invalid publicId, no token, no time left). */
export function classifyBeforeRequest(
  kind: Exclude<OutcomeKind, "applied">,
  errorType: string,
  detail: string,
): SpotFailure {
  const reason = truncate(detail);
  return { kind, errorType, details: [detail], reason, logReason: reason, mayHaveLanded: false };
}

/**
 * Reads a 200: it proves the write only when it is an order with this publicId. Anything else (a
 * maintenance page, an empty body, JSON that is no order, another order) proves nothing: an
 * uncertain, transient failure. An order of this id that does not fit the documented schema is
 * still this order: the drift is reported by field names, never values.
 */
export function checkOrderResponse(text: string, publicId: string): SuccessCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const what = text.length === 0 ? "an empty body" : describeBody(text, false);
    return uncertain("invalid_response", `Spot answered 200 with ${what}, not an order`, []);
  }
  const orderId = isRecord(parsed) ? parsed.order_id : undefined;
  if (typeof orderId !== "string") {
    return uncertain("invalid_response", "Spot answered 200 with JSON that is not an order", []);
  }
  if (orderId !== publicId) {
    return uncertain("wrong_order", `Spot answered 200 for another order (${orderId.slice(0, 64)})`, []);
  }
  const result = orderFullSchema.safeParse(parsed);
  if (result.success) return { ok: true, order: result.data, drift: [] };
  const drift = result.error.issues.slice(0, 5).map(describeIssue);
  return { ok: true, order: parsed as OrderFull, drift };
}

/**
 * Checks a 200 to an update: applied when it is this order. Metadata other than what was sent is
 * drift (counted by keys), not a failure: Spot said 200 to this order. Never repeats a value.
 */
export function checkUpdateResponse(
  text: string,
  publicId: string,
  sent: Record<string, unknown>,
): SuccessCheck {
  const check = checkOrderResponse(text, publicId);
  if (!check.ok) return check;
  const stored = check.order.metadata;
  if (!isRecord(stored)) return { ...check, drift: [...check.drift, "metadata: the order holds none"] };
  const keys = new Set([...Object.keys(stored), ...Object.keys(sent)]);
  let differing = 0;
  for (const key of keys) if (!jsonEqual(stored[key], sent[key])) differing++;
  if (differing === 0) return check;
  return {
    ...check,
    drift: [...check.drift, `metadata: ${differing} of ${keys.size} keys differ from what was sent`],
  };
}

/**
 * Parses `Retry-After` in both forms: delay seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). A date in the past means now.
 * @returns milliseconds to wait, or undefined when the value is neither form.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only full dates: Date.parse would also take "1.5" or "soon" in some forms.
  // HTTP dates start with the day's name (IMF-fixdate, RFC 850, asctime); Date.parse alone would
  // also take a bare "1.5" or "2026" and turn it into a date.
  if (!/^[A-Za-z]{3,9},? /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Deep equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]));
}

/** Spot's `{"error": {"code", "type", "details"}}`, if the body is one (JSON text is parsed too). */
function readSpotError(body: unknown): SpotErrorBody | undefined {
  const value = typeof body === "string" ? tryParse(body) : body;
  if (!isRecord(value) || !isRecord(value.error)) return undefined;
  const { code, type, details } = value.error;
  return {
    ...(typeof code === "number" ? { code } : {}),
    ...(typeof type === "string" ? { type } : {}),
    details: Array.isArray(details) ? details.filter((d): d is string => typeof d === "string") : [],
  };
}

function uncertain(errorType: string, reason: string, issues: string[]): SuccessCheck {
  return {
    ok: false,
    failure: {
      kind: "transient",
      status: 200,
      errorType,
      details: issues.length > 0 ? issues : [reason],
      reason: truncate(reason),
      logReason: truncate(reason),
      mayHaveLanded: true,
      foreign: true,
    },
  };
}

/** Where and what, without the value (zod's messages name types, not values). */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? "body" : issue.path.map(String).join(".");
  return `${where}: ${issue.message}`;
}

function describeBody(body: unknown, isJson: boolean): string {
  if (body === undefined || body === "") return "empty body";
  if (isJson) return "a JSON body that is not Spot's error envelope";
  const text = String(body);
  const title = /<title>([^<]{1,100})<\/title>/i.exec(text)?.[1];
  return title === undefined ? `a non-JSON body (${text.length} chars)` : `an HTML page: "${title.trim()}"`;
}

/**
 * The fields Spot's details name (`"first_name: Field is required"` names `first_name`), without
 * what it said of them: its words may quote the value it refused.
 */
export function fieldsNamedIn(details: string[]): string[] {
  const names = details.flatMap((detail) => /^\s*([A-Za-z_][\w.[\]-]{0,63})\s*:/.exec(detail)?.[1] ?? []);
  return [...new Set(names)];
}

function isJsonValue(body: unknown): boolean {
  if (body === undefined) return false;
  if (typeof body !== "string") return true;
  return tryParse(body) !== NOT_PARSED;
}

const NOT_PARSED = Symbol("not parsed");

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_PARSED;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length <= REASON_MAX ? text : `${text.slice(0, REASON_MAX - 1)}…`;
}
