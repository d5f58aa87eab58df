/**
 * `spot-meta verify --fix`: sends a drifted order's file row again through the normal path, with the
 * import's version, so it can never overtake a newer update. When the ledger holds exactly that
 * version, the handler would skip the copy as superseded; so the ledger is asked to let that update
 * be sent once more (`reassertOrder`: the right belongs to the update, so any copy of it may use it),
 * on condition that the version is still the applied one. The message is delayed so that write
 * lands before it arrives.
 */
import { ConditionalCheckFailedException, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { LedgerAttribute as A, LEDGER_KEY } from "../../lambda/ledger/table.ts";
import { compareVersions, versionNumber } from "../../lambda/processor/version.ts";
import type { EnqueueResult, Producer } from "../producer.ts";
import type { LedgerTable } from "./ledger-source.ts";
import type { Expected, FixResult, Subject } from "./types.ts";

/** Long enough for the ledger's write to land before the handler sees the message. */
const FIX_DELAY_SECONDS = 5;

export interface FixerOptions {
  producer: Producer;
  ledger: LedgerTable | undefined;
  /** The import's start (epoch ms): the version every row of the file was sent with. */
  issuedAt: number;
  /** The file's name, for the message's `source` attribute. */
  fileName: string;
}

export class Fixer {
  readonly #options: FixerOptions;

  constructor(options: FixerOptions) {
    this.#options = options;
  }

  /** Re-enqueues the row of a drifted order. */
  async fix(subject: Subject): Promise<FixResult> {
    const { expected, publicId } = subject;
    if (expected.kind !== "row") return "not-queued";
    // Absent or older in the ledger, the copy is admitted like any newer update; the applied one
    // is let through once, asked before the send so the copy cannot arrive first.
    const applied = expected.ledgerVersion;
    const isApplied =
      this.#options.ledger !== undefined &&
      applied !== undefined &&
      expected.version !== undefined &&
      compareVersions(applied, expected.version) === 0;
    if (isApplied && !(await this.#allowReassert(publicId, expected))) return "overtaken-meanwhile";
    const sent = await this.#send(publicId, expected);
    return sent.ok ? "requeued" : "not-queued";
  }

  async #send(publicId: string, expected: Extract<Expected, { kind: "row" }>): Promise<EnqueueResult> {
    let result: EnqueueResult | undefined;
    await this.#options.producer.send(
      [
        {
          update: {
            publicId,
            metadata: expected.metadata,
            issuedAt: new Date(this.#options.issuedAt).toISOString(),
          },
          source: `verify-fix:${this.#options.fileName}:${expected.line}`,
          delaySeconds: FIX_DELAY_SECONDS,
        },
      ],
      (outcome) => {
        result = outcome;
      },
    );
    return result as EnqueueResult;
  }

  /** False when a newer update was applied meanwhile: the copy will be superseded, as it should. */
  async #allowReassert(publicId: string, expected: Extract<Expected, { kind: "row" }>): Promise<boolean> {
    const ledger = this.#options.ledger as LedgerTable;
    try {
      await ledger.client.send(
        new UpdateItemCommand({
          TableName: ledger.table,
          Key: { [LEDGER_KEY]: { S: publicId } },
          UpdateExpression: `SET ${A.reassertOrder} = :order`,
          ConditionExpression: `${A.appliedOrder} = :order`,
          ExpressionAttributeValues: {
            ":order": { N: versionNumber(expected.version as NonNullable<typeof expected.version>) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
