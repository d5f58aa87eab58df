/**
 * `spot-meta worker`: runs the handler against a real queue from this machine (or any SQS-compatible
 * endpoint), polling like Lambda's event source mapping does. Its settings are the handler's own
 * `SPOT_META_*` variables, so what runs here is what runs in Lambda; outside Lambda the token may
 * come from `SPOT_META_SPOT_TOKEN`. Beside a running `spot-meta dev` it needs none: the queues,
 * the sandbox and its token, and the ledger come from `.spot-meta/dev.json`.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import { envName, type HandlerConfig, readConfig } from "../../lambda/config.ts";
import { ConfigError } from "../../lambda/errors.ts";
import { createLogger, type Logger } from "../../lambda/logger.ts";
import { createUpdateHandler } from "../../lambda/update-handler.ts";
import { type DevState, readDevState } from "../../local/dev-state.ts";
import { QueuePoller } from "../../tools/poller.ts";
import { integerBetween, positiveInteger } from "../shared/arguments.ts";
import { consoleOutput } from "../shared/console-output.ts";
import { EXIT_CODES } from "../shared/exit-codes.ts";
import { untilAborted } from "../shared/interrupts.ts";
import { type LedgerFlags, ledgerClientFor, resolveLedger } from "../shared/ledger.ts";
import { type TargetFlags, withLedger, withTarget } from "../shared/options.ts";
import { sameEndpoint } from "../shared/queue-endpoint.ts";
import { type CommandIo, processIo, runCommand } from "../shared/runner.ts";
import { sqsClientFor } from "../shared/sqs-client.ts";
import { resolveTarget, TARGET_ORIGINS } from "../shared/target.ts";

interface WorkerFlags extends LedgerFlags, TargetFlags {
  pollers: number;
  batchSize: number;
  windowMs: number;
  timeoutSeconds: number;
  waitSeconds: number;
  json?: boolean;
}

export function registerWorkerCommand(program: Command, io: CommandIo = processIo): void {
  const command = program
    .command("worker")
    .description(
      "Consume a queue with the handler until Ctrl-C: a running `spot-meta dev`'s, or one named by flags (settings: the SPOT_META_* variables, see docs/configuration.md).",
    );
  withLedger(withTarget(command), "where the newest update wins across batches")
    .option("--pollers <n>", "concurrent pollers (like Lambda instances)", positiveInteger, 1)
    .option("--batch-size <n>", "records per invocation (at most 10)", integerBetween(1, 10), 10)
    .option("--window-ms <ms>", "how long to gather a batch", integerBetween(0, 300_000), 1000)
    .option(
      "--timeout-seconds <s>",
      "an invocation's deadline, like the function's timeout",
      positiveInteger,
      60,
    )
    .option(
      "--wait-seconds <s>",
      "each receive's long poll; stopping waits for it to end",
      integerBetween(0, 20),
      5,
    )
    .option("--json", "JSON log lines even on a terminal")
    .action((flags: WorkerFlags) =>
      runCommand(io, "worker", (signal) => runWorker(io, flags, signal), {
        stopping: `finishing the invocations in flight and the long polls (up to ${flags.waitSeconds} s), so no message is left invisible`,
        untilStopped: true,
      }),
    );
}

async function runWorker(io: CommandIo, flags: WorkerFlags, signal: AbortSignal): Promise<number> {
  const output = consoleOutput({ json: flags.json ?? false });
  try {
    const setup = await workerSetup(flags);
    const logger = createLogger({ level: setup.config.logLevel, destination: output.destination });
    const poller = startPoller(setup, flags, logger);
    io.err(startLines(setup));
    const cause = await untilAborted(signal);
    io.err(`stopped by ${cause}\n`);
    await poller.stop();
    return EXIT_CODES.ok;
  } finally {
    output.close();
  }
}

/** What the worker runs against: the queue, its settings (the dev stack's, the environment's), the ledger. */
async function workerSetup(flags: WorkerFlags) {
  const target = resolveTarget(flags);
  const dev = target.origin === TARGET_ORIGINS.dev ? readDevState() : undefined;
  const ledgerFlags = resolveLedger(flags, target.origin);
  const ledger = ledgerClientFor(ledgerFlags);
  const settings = readConfig({
    ...(dev === undefined ? {} : devSettings(dev)),
    ...process.env,
    ...(ledger === undefined ? {} : { [envName("ledgerTable")]: ledger.table }),
  });
  const sqs = sqsClientFor(target);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: target.queueUrl,
      AttributeNames: ["QueueArn", "RedrivePolicy"],
    }),
  );
  const config = workerConfig(settings, target.queueUrl, Attributes?.RedrivePolicy);
  return { target, sqs, config, ledger, ledgerFlags, queueArn: Attributes?.QueueArn ?? "" };
}

type WorkerSetup = Awaited<ReturnType<typeof workerSetup>>;

function startPoller(setup: WorkerSetup, flags: WorkerFlags, logger: Logger): QueuePoller {
  const { target, sqs, config, ledger, queueArn } = setup;
  return new QueuePoller({
    sqs,
    queueUrl: target.queueUrl,
    queueArn,
    region: queueArn.split(":")[3] ?? "",
    handler: createUpdateHandler(config, {
      sqs,
      logger,
      sqsEndpoint: target.endpoint,
      ...(ledger === undefined ? {} : { dynamoDb: ledger.client }),
    }),
    pollers: flags.pollers,
    batchSize: flags.batchSize,
    batchingWindowMs: flags.windowMs,
    functionTimeoutMs: flags.timeoutSeconds * 1000,
    waitTimeSeconds: flags.waitSeconds,
    onPollError: (error) => logger.warn({ error: String(error) }, "poll failed; retrying"),
  }).start();
}

/** What the worker says it is doing, with a warning when it has no ledger. */
function startLines({ target, config, ledger, ledgerFlags }: WorkerSetup): string {
  return [
    `spot-meta worker: consuming ${target.queueUrl} (from ${target.origin}; Ctrl-C to stop)`,
    `  dead letters to ${config.dlqUrl}; Spot at ${config.spotBaseUrl}; at most ${config.maxReceiveCount} receives`,
    config.ledgerTable === undefined
      ? "  warning: no ledger (--ledger-table): the newest update wins within a batch only, not across batches"
      : `  the ledger ${config.ledgerTable}${ledger === undefined ? "" : ` at ${ledgerFlags?.ledgerEndpointUrl ?? "AWS"}`}`,
    "",
  ].join("\n");
}

/** The handler's settings a running dev stack provides: its DLQ, the sandbox and its made-up token. */
function devSettings(dev: DevState): Record<string, string> {
  return {
    [envName("dlqUrl")]: dev.dlqUrl,
    [envName("spotBaseUrl")]: dev.sandboxUrl,
    [envName("spotToken")]: dev.sandboxToken,
  };
}

/**
 * The handler's settings for this queue: its `maxReceiveCount` is the queue's redrive policy's, so
 * the two cannot drift; a DLQ that is the source queue itself, or on another endpoint, is refused.
 * @throws {ConfigError} when SPOT_META_DLQ_URL names the source queue, or a queue on another endpoint
 */
export function workerConfig(
  config: HandlerConfig,
  queueUrl: string,
  redrivePolicy: string | undefined,
): HandlerConfig {
  const queueName = (url: string) => new URL(url).pathname.split("/").filter(Boolean).at(-1);
  if (queueName(config.dlqUrl) === queueName(queueUrl)) {
    throw new ConfigError([`${envName("dlqUrl")}: is the source queue itself (${queueUrl}); name its DLQ`]);
  }
  // One client sends to both: on another endpoint, it would dead-letter into that endpoint's queue of the DLQ's name.
  if (!sameEndpoint(config.dlqUrl, queueUrl)) {
    throw new ConfigError([
      `${envName("dlqUrl")}: ${config.dlqUrl} is on another endpoint than the source queue ${queueUrl}; name the DLQ of the queue consumed`,
    ]);
  }
  const maxReceiveCount = Number(
    (JSON.parse(redrivePolicy ?? "{}") as { maxReceiveCount?: unknown }).maxReceiveCount,
  );
  return Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? { ...config, maxReceiveCount } : config;
}
