/**
 * The options that say what a command talks to, declared once for every command: the queues
 * (`withTarget`) and the applied-updates ledger (`withLedger`). How they are found is target.ts's
 * and ledger.ts's one rule: what a person types wins over what is discovered, and the running
 * `spot-meta dev` is discovered the same way by every command.
 *
 * An empty value is refused as commander parses it (a usage error naming the option): on call,
 * `--queue-url "$URL"` with `URL` unset must not fall back to another queue.
 */
import type { Command } from "commander";
import { nonEmpty } from "./arguments.ts";

/** The flags {@link withTarget} declares. */
export interface TargetFlags {
  queueUrl?: string;
  dlqUrl?: string;
  endpointUrl?: string;
  region?: string;
  outputs?: string;
}

/** The flags {@link withLedger} declares. */
export interface LedgerFlags {
  ledgerTable?: string;
  ledgerEndpointUrl?: string;
  region?: string;
}

/**
 * `--queue-url`, `--endpoint-url`, `--region`, `--outputs`, and with `dlq` the `--dlq-url`.
 * @param use what the queue is for, when the command needs it only sometimes (`for --fix`)
 */
export function withTarget(command: Command, options: { dlq?: boolean; use?: string } = {}): Command {
  const use = options.use === undefined ? "" : `${options.use}: `;
  command.option(
    "--queue-url <url>",
    `${use}the source queue (else SPOT_META_QUEUE_URL, --outputs, or the running \`spot-meta dev\`)`,
    nonEmpty,
  );
  if (options.dlq) {
    command.option(
      "--dlq-url <url>",
      "the DLQ (else SPOT_META_DLQ_URL, --outputs, `spot-meta dev`, or the source queue's redrive policy)",
      nonEmpty,
    );
  }
  return command
    .option(
      "--endpoint-url <url>",
      "send the SQS calls here (default: the queue URL's own endpoint)",
      nonEmpty,
    )
    .option(
      "--region <region>",
      "the AWS region (default: from the queue URL or the AWS configuration)",
      nonEmpty,
    )
    .option("--outputs <file>", "the JSON written by `cdk deploy --outputs-file`", nonEmpty);
}

/**
 * `--ledger-table` and `--ledger-endpoint-url`.
 * @param use what the command reads the ledger for
 */
export function withLedger(command: Command, use: string): Command {
  return command
    .option(
      "--ledger-table <name>",
      `the applied-updates ledger's DynamoDB table (else SPOT_META_LEDGER_TABLE, --outputs, or the running \`spot-meta dev\`'s), ${use}`,
      nonEmpty,
    )
    .option("--ledger-endpoint-url <url>", "a non-AWS DynamoDB endpoint for --ledger-table", nonEmpty);
}
