/**
 * `spot-meta dev`: keeps the local stack running for interactive use, and writes where it listens to
 * `.spot-meta/dev.json` so that `spot-meta import`, `spot-meta dlq …` and the AWS CLI can reach it.
 */

import { relative } from "node:path";
import type { Command } from "commander";
import { createLogger } from "../../lambda/logger.ts";
import { devStateFileFor, removeDevState, writeDevState } from "../../local/dev-state.ts";
import { SANDBOX_ORDERS_PATH } from "../../local/sandbox/spot-sandbox.ts";
import { integerBetween, positiveInteger } from "../shared/arguments.ts";
import { consoleOutput } from "../shared/console-output.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { untilAborted } from "../shared/interrupts.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";

/** The checkout's example file, named from wherever `dev` runs. */
const EXAMPLE_CSV = new URL("../../../examples/orders.csv", import.meta.url).pathname;

interface DevFlags {
  orders: number;
  pollers: number;
  logLevel: string;
  json?: boolean;
}

export function registerDevCommand(program: Command, io: CommandIo = processIo): void {
  program
    .command("dev")
    .description("Run the local stack (embedded SQS, Spot sandbox, the handler) until Ctrl-C.")
    .option("--orders <n>", "orders the Spot sandbox knows (O0000001…)", positiveInteger, 1000)
    .option(
      "--pollers <n>",
      "concurrent pollers (like Lambda instances); 0 for none, with a `spot-meta worker` of your own",
      integerBetween(0, 64),
      2,
    )
    .option("--log-level <level>", "the handler's log level", "info")
    .option("--json", "the handler's JSON log lines on stdout even on a terminal")
    .action((flags: DevFlags) =>
      runCommand(io, "dev", (signal) => runDev(io, flags, signal), {
        stopping: "the local stack stops, and .spot-meta/dev.json is removed",
        untilStopped: true,
      }),
    );
}

async function runDev(io: CommandIo, flags: DevFlags, signal: AbortSignal): Promise<number> {
  // Loaded here, not at the top: the local servers (fauxqs, dynalite) are heavy, and every other
  // command of the CLI would carry them.
  const { startLocalStack } = await import("../../local/local-stack.ts");
  const output = consoleOutput({ json: flags.json ?? false, everyOutcome: true });
  const stack = await startLocalStack({
    logger: createLogger({ level: flags.logLevel, destination: output.destination }),
    // The EMF lines are for CloudWatch; locally they would only bury the log lines.
    onMetrics: () => {},
    sandbox: { seedCount: flags.orders },
    eventSource: { pollers: flags.pollers },
  });
  const stateFile = devStateFileFor();
  writeDevState(
    {
      pid: process.pid,
      sqsEndpoint: stack.queues.endpoint,
      region: stack.queues.region,
      queueUrl: stack.queues.queueUrl,
      dlqUrl: stack.queues.dlqUrl,
      sandboxUrl: stack.sandbox.url,
      sandboxToken: stack.sandbox.token,
      ...(stack.dynamoDb === undefined
        ? {}
        : { ledgerEndpoint: stack.dynamoDb.endpoint, ledgerTable: stack.dynamoDb.table }),
    },
    stateFile,
  );
  io.err(
    [
      "spot-meta dev: the local stack is running (Ctrl-C to stop)",
      `  queue    ${stack.queues.queueUrl}`,
      `  DLQ      ${stack.queues.dlqUrl}`,
      `  Spot     ${stack.sandbox.url}  (sandbox; orders O0000001…O${String(flags.orders).padStart(7, "0")}; token "${stack.sandbox.token}")`,
      `  written to ${relative(process.cwd(), stateFile)}; try:`,
      `    npx spot-meta import ${relative(process.cwd(), EXAMPLE_CSV)}`,
      "    npx spot-meta dlq stats",
      `    curl -H 'Authorization: Token ${stack.sandbox.token}' -H 'Content-Type: application/json' \\`,
      `      -d '{"publicIds": ["Z0000001"]}' ${stack.sandbox.url}${SANDBOX_ORDERS_PATH}   # create orders, then dlq replay`,
      ...awsCliLines(stack.queues),
      "",
    ].join("\n"),
  );
  await untilAborted(signal);
  removeDevState(stateFile);
  await stack.stop();
  output.close();
  return EXIT_CODES.ok;
}

/**
 * The AWS CLI's commands for the local queues, as they run on a machine with no AWS configuration:
 * a region and credentials on the command line (any do for the local stack; the CLI v1 reads no
 * `AWS_REGION`, so `--region`), and an update sent as a service sends one, `source` attribute included.
 */
function awsCliLines(queues: { endpoint: string; region: string; queueUrl: string }): string[] {
  const aws = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${queues.region} --endpoint-url ${queues.endpoint}`;
  return [
    "  the AWS CLI (any credentials do locally): send an update as a service does, count the queue:",
    `    ${aws} \\`,
    `      sqs send-message --queue-url ${queues.queueUrl} \\`,
    `      --message-attributes '{"source": {"DataType": "String", "StringValue": "svc:aws-cli"}}' \\`,
    `      --message-body '{"publicId": "O0000001", "metadata": {"clinic": "east"}}'`,
    `    ${aws} \\`,
    `      sqs get-queue-attributes --queue-url ${queues.queueUrl} --attribute-names All`,
  ];
}
