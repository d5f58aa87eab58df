/** A logger whose every line the test can read. */
import { createLogger, type Logger } from "../../lib/lambda/logger.ts";

export interface CapturedLogs {
  logger: Logger;
  lines: string[];
  /** The lines as objects. */
  entries(): Array<Record<string, unknown>>;
}

export function captureLogs(level = "debug"): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => lines.push(line) } });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
