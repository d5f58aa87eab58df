/**
 * What `spot-meta smoke` talks to, found as the other commands find it: the source queue as for
 * `spot-meta import` (shared/target.ts), Spot as for `spot-meta verify` (shared/spot-target.ts), the
 * ledger as every command finds it (shared/ledger.ts), and the
 * alarm topic from `--alarm-topic-arn` or the outputs file's `AlarmTopicArn`. What a person types
 * wins over what is discovered.
 */
import { type LedgerFlags, resolveLedger } from "../shared/ledger.ts";
import type { TargetFlags } from "../shared/options.ts";
import { resolveSpot, type SpotTarget } from "../shared/spot-target.ts";
import { type QueueTarget, readStackOutputs, resolveTarget } from "../shared/target.ts";

export interface SmokeTargetFlags extends LedgerFlags, TargetFlags {
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
    ledger: resolveLedger(flags, queue.origin, { env }),
    alarmTopicArn: flags.alarmTopicArn ?? stringOf(outputs.AlarmTopicArn),
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
