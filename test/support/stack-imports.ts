/** Updates reaching the local stack the two ways they do in production: a CSV import and a service. */
import { join } from "node:path";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import { type ImportSummary, importCsv } from "../../lib/tools/csv-import/import-csv.ts";
import { RECEIPTS_DIRECTORY } from "../../lib/tools/csv-import/receipt.ts";
import { Producer, type UpdateInput } from "../../lib/tools/producer.ts";

/**
 * Imports `file` onto the stack's queue as `spot-meta import` run in `cwd` does: its receipt goes
 * where `spot-meta import-status` and `verify` run in `cwd` look for it.
 */
export function importOnStack(stack: LocalStack, file: string, cwd: string): Promise<ImportSummary> {
  return importCsv({
    file,
    target: { sqs: stack.sqs, queueUrl: stack.queues.queueUrl },
    receiptsDirectory: join(cwd, RECEIPTS_DIRECTORY),
  });
}

/**
 * A service's newer update of an order (source `svc:test`), once what the stack holds is applied,
 * and applied in turn: the import's row for that order is then overtaken.
 */
export async function overtakeByService(
  stack: LocalStack,
  publicId: string,
  metadata: UpdateInput["metadata"],
): Promise<void> {
  await stack.waitUntilDrained();
  const producer = new Producer({ sqs: stack.sqs, queueUrl: stack.queues.queueUrl, source: "svc:test" });
  await producer.enqueue({ publicId, metadata });
  await stack.waitUntilDrained();
}
