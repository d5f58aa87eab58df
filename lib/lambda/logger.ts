/**
 * Structured JSON logs (pino): one line per event, with the token and metadata values never in them.
 * Metadata is only logged when `logMetadata` is on, and the token is redacted wherever it could hide.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  level?: string;
  /** Defaults to stdout; tests pass a stream to read every line. */
  destination?: DestinationStream;
  /** Fields added to every line (e.g. the function's name). */
  base?: Record<string, unknown>;
}

/** Paths that could hold a secret if someone logs a request or a config object by mistake. */
const REDACTED = [
  "token",
  "spotToken",
  "authorization",
  "Authorization",
  "headers.authorization",
  "headers.Authorization",
  "*.token",
  "*.spotToken",
  "*.authorization",
  "*.Authorization",
];

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: "[redacted]" },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}

/** A logger that writes nothing, for library callers that do not want logs. */
export const silentLogger: Logger = pino({ level: "silent" });
