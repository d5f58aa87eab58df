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
