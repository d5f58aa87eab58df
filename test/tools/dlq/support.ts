/** Small helpers of the DLQ tests: an in-memory ledger, a captured CLI, the DLQ's contents. */

import type { SQSClient } from "@aws-sdk/client-sqs";
import { Command, CommanderError } from "commander";
import { registerDlqCommand } from "../../../lib/cli/dlq/dlq-command.ts";
import type { LocalStack } from "../../../lib/local/local-stack.ts";
import type { DlqMessage } from "../../../lib/tools/dlq/dlq-message.ts";
import { withDlqReader } from "../../../lib/tools/dlq/dlq-reader.ts";
import type { AppliedVersionLookup } from "../../../lib/tools/dlq/superseded.ts";
import type { BareDlq } from "./bare-dlq.ts";

/**
 * The ledger's answer, from a map: publicId → applied `issuedAt` (epoch ms), with the highest
 * tie-break: at or past any update of that millisecond.
 */
export function inMemoryLedger(
  applied: Record<string, number>,
): AppliedVersionLookup & { lookups: string[] } {
  const lookups: string[] = [];
  const lookup = async (publicIds: readonly string[]) => {
    lookups.push(...publicIds);
    return new Map(
      publicIds.flatMap((id) => {
        const issuedAt = applied[id];
        return issuedAt === undefined ? [] : [[id, { issuedAt, tieBreak: 2 ** 48 - 1 }] as const];
      }),
    );
  };
  return Object.assign(lookup, { lookups });
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `spot-meta dlq …` in this process with the stack's queues named, capturing its output. */
export async function runDlq(
  stack: LocalStack | undefined,
  args: string[],
  targetFlags?: string[],
): Promise<CliRun> {
  const run: CliRun = { code: 0, out: "", err: "" };
  // Usage errors (commander's own) are thrown here instead of exiting the test's process.
  const program = new Command("spot-meta").exitOverride().configureOutput({
    writeOut: (text) => {
      run.out += text;
    },
    writeErr: (text) => {
      run.err += text;
    },
  });
  registerDlqCommand(program, {
    out: (text) => {
      run.out += text;
    },
    err: (text) => {
      run.err += text;
    },
    setExitCode: (code) => {
      run.code = code;
    },
    interactive: false,
    waitTimeSeconds: 0,
  });
  const target =
    targetFlags ??
    (stack === undefined
      ? []
      : [
          "--queue-url",
          stack.queues.queueUrl,
          "--dlq-url",
          stack.queues.dlqUrl,
          "--endpoint-url",
          stack.queues.endpoint,
        ]);
  try {
    await program.parseAsync(["dlq", ...args, ...target], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    run.code = error.exitCode;
  }
  return run;
}

/** Runs `spot-meta dlq …` as {@link runDlq} does, on a bare DLQ (through its proxy, which counts the calls). */
export function runDlqOn(bare: BareDlq, args: string[]): Promise<CliRun> {
  return runDlq(undefined, args, bare.targetFlags);
}

/** Target flags that name the source queue as the DLQ: what the destructive commands must refuse. */
export function sourceQueueAsDlq(stack: LocalStack): string[] {
  const { queueUrl, endpoint } = stack.queues;
  return ["--queue-url", queueUrl, "--dlq-url", queueUrl, "--endpoint-url", endpoint];
}

/** Every message of a DLQ, read through the tool's own reader; they are visible again after. */
export function readWhole(sqs: SQSClient, dlqUrl: string): Promise<DlqMessage[]> {
  return withDlqReader(sqs, dlqUrl, { waitTimeSeconds: 0 }, (reader) => reader.next());
}

/** The publicIds (or bodies, for those without one) in the DLQ, sorted; the messages are visible again after. */
export async function dlqContents(stack: LocalStack): Promise<string[]> {
  const messages = await readWhole(stack.sqs, stack.queues.dlqUrl);
  return messages.map((message) => message.publicId ?? message.body).sort();
}
