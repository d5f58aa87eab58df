/**
 * Names the order on the log lines of a message that breaks the contract. The processor keeps no
 * order id for such a message (its body did not parse as an update), so its outcome line had no
 * `publicId` and `spot-meta dev` printed "(no id)" even when only, say, its `issuedAt` was wrong.
 * While a batch runs its bodies are at hand, and a line that names one of its messages but no order
 * gets the body's `publicId`, when that is a valid id: an invalid one is never logged as an order.
 */
import type { SQSRecord } from "aws-lambda";
import { publicIdSchema } from "./contract.ts";
import type { Logger } from "./logger.ts";

export class BatchIds {
  /** The bodies of the batches running, by message id (invocations may overlap in one process). */
  readonly #bodies = new Map<string, string>();

  /** A child of `base` whose lines get the order's id as described above. */
  logger(base: Logger): Logger {
    return base.child({}, { formatters: { log: (line) => this.#withId(line as Record<string, unknown>) } });
  }

  /** Runs `work` with the bodies of `records` at hand for the logger's lines. */
  async during<T>(records: SQSRecord[], work: () => Promise<T>): Promise<T> {
    for (const record of records) this.#bodies.set(record.messageId, record.body);
    try {
      return await work();
    } finally {
      for (const record of records) this.#bodies.delete(record.messageId);
    }
  }

  #withId(line: Record<string, unknown>): Record<string, unknown> {
    if (line.publicId !== undefined || typeof line.messageId !== "string") return line;
    const body = this.#bodies.get(line.messageId);
    const publicId = body === undefined ? undefined : validPublicIdIn(body);
    return publicId === undefined ? line : { ...line, publicId };
  }
}

/** The body's `publicId` when it is a valid one, whatever else in the body is wrong. */
function validPublicIdIn(body: string): string | undefined {
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
