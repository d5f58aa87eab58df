/**
 * What `spot-meta smoke` talks to, found as the other commands find it: the source queue as for
 * `spot-meta import` (target.ts), Spot as for `spot-meta verify` (spot-target.ts), the ledger from
 * `--ledger-table`, the outputs file's `LedgerTableName` or the running `spot-meta dev`'s, and the
 * alarm topic from `--alarm-topic-arn` or the outputs file's `AlarmTopicArn`. What a person types
 * wins over what is discovered.
 */
import { readDevState } from "../../local/dev-state.ts";
import type { LedgerFlags } from "../shared/ledger.ts";
import { resolveSpot, type SpotTarget } from "../shared/spot-target.ts";
import { type QueueTarget, readStackOutputs, resolveTarget, TARGET_ORIGINS } from "../shared/target.ts";

export interface SmokeTargetFlags extends LedgerFlags {
  queueUrl?: string;
  endpointUrl?: string;
  outputs?: string;
  alarmTopicArn?: string;
}

export interface SmokeTarget {
  queue: QueueTarget;
  spot: SpotTarget;
  /** The ledger's table and how to reach it; undefined when none is named or discovered. */
  ledger: LedgerFlags | undefined;
  alarmTopicArn: string | undefined;
}

/**
 * @throws TargetNotFoundError when no queue is found, or the outputs file cannot be used
 * @throws SpotNotFoundError when no Spot is named and no dev stack runs
 */
export function resolveSmokeTarget(
  flags: SmokeTargetFlags,
  env: Record<string, string | undefined> = process.env,
): SmokeTarget {
  const queue = resolveTarget({ ...flags, env });
  const outputs = flags.outputs === undefined ? {} : readStackOutputs(flags.outputs);
  const spot = resolveSpot(env, stringOf(outputs.SecretArn));
  return {
    queue,
    spot,
    ledger: ledgerOf(flags, queue, stringOf(outputs.LedgerTableName)),
    alarmTopicArn: flags.alarmTopicArn ?? stringOf(outputs.AlarmTopicArn),
  };
}

function ledgerOf(
  flags: SmokeTargetFlags,
  queue: QueueTarget,
  fromOutputs: string | undefined,
): LedgerFlags | undefined {
  if (flags.ledgerTable !== undefined) return flags;
  if (fromOutputs !== undefined) return { ledgerTable: fromOutputs, region: flags.region };
  // The dev stack's ledger only with its queue: another stack's updates never reach it.
  if (queue.origin !== TARGET_ORIGINS.dev) return undefined;
  const dev = readDevState();
  if (dev?.ledgerTable === undefined || dev.ledgerEndpoint === undefined) return undefined;
  return { ledgerTable: dev.ledgerTable, ledgerEndpointUrl: dev.ledgerEndpoint, region: dev.region };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
