/** Small helpers of the DLQ tests: an in-memory ledger, a captured CLI, the DLQ's contents. */
import { Command } from "commander";
import { registerDlqCommand } from "../../lib/cli/dlq-command.ts";
import { readDlq, releaseMessages } from "../../lib/dlq/dlq-reader.ts";
import type { AppliedVersionReader } from "../../lib/ledger/table.ts";
import type { LocalStack } from "../../lib/local/local-stack.ts";

/** The ledger's answer, from a map: publicId → applied version (epoch ms). */
export function inMemoryLedger(
  applied: Record<string, number>,
): AppliedVersionReader & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    async appliedVersion(publicId) {
      lookups.push(publicId);
      return applied[publicId];
    },
  };
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
  const program = new Command("spot-meta").exitOverride();
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
  await program.parseAsync(["dlq", ...args, ...target], { from: "user" });
  return run;
}

/** Target flags that name the source queue as the DLQ: what the destructive commands must refuse. */
export function sourceQueueAsDlq(stack: LocalStack): string[] {
  const { queueUrl, endpoint } = stack.queues;
  return ["--queue-url", queueUrl, "--dlq-url", queueUrl, "--endpoint-url", endpoint];
}

/** The publicIds (or bodies, for those without one) in the DLQ, sorted; the messages are visible again after. */
export async function dlqContents(stack: LocalStack): Promise<string[]> {
  const read = await readDlq(stack.sqs, stack.queues.dlqUrl, { waitTimeSeconds: 0, holdSeconds: 30 });
  await releaseMessages(stack.sqs, stack.queues.dlqUrl, read.messages);
  return read.messages.map((message) => message.publicId ?? message.body).sort();
}
