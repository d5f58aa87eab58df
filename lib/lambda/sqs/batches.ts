/** Splitting entries into SQS batch calls: at most ten entries and 256 KiB of payload per call. */

export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

/** Groups items in order so that no group has more than ten items or more than the byte limit. */
export function chunkForBatch<T>(items: T[], sizeOf: (item: T) => number, maxBytes = MAX_BATCH_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Bytes SQS counts for a message: its body plus each attribute's name, type and value. */
export function messageBytes(
  body: string,
  attributes: Record<string, { DataType?: string; StringValue?: string }> = {},
): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? "") +
      Buffer.byteLength(value.StringValue ?? "");
  }
  return bytes;
}

/** An item SQS did not take: an entry it refused, or every entry of a call that failed as a whole. */
export interface NotTaken<T> {
  item: T;
  /** SQS's code for the entry, or the error's name for a failed call. */
  code: string;
  /** The failed call's error (absent for an entry SQS refused). */
  callError?: unknown;
}

/**
 * Runs one SQS batch action over items: at most ten entries (and 256 KiB) a call, `concurrency`
 * calls at a time. `call` sends one chunk with each entry's `Id` its index in the chunk.
 * @returns every item SQS did not take, and why; never throws for SQS's refusals
 */
export async function inBatches<T>(
  items: readonly T[],
  call: (chunk: T[]) => Promise<{ Failed?: Array<{ Id?: string; Code?: string }> }>,
  options: { sizeOf?: (item: T) => number; concurrency?: number } = {},
): Promise<NotTaken<T>[]> {
  const chunks = chunkForBatch([...items], options.sizeOf ?? (() => 0));
  const notTaken: NotTaken<T>[] = [];
  const run = async (chunk: T[]) => {
    try {
      const result = await call(chunk);
      for (const failed of result.Failed ?? []) {
        const item = chunk[Number(failed.Id)];
        if (item !== undefined) notTaken.push({ item, code: failed.Code ?? "unknown" });
      }
    } catch (error) {
      const code = error instanceof Error ? error.name : "unknown";
      for (const item of chunk) notTaken.push({ item, code, callError: error });
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? chunks.length);
  for (let i = 0; i < chunks.length; i += concurrency)
    await Promise.all(chunks.slice(i, i + concurrency).map(run));
  return notTaken;
}
