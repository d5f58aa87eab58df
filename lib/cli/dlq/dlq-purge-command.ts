/**
 * The action of `dlq purge`: removes the selected messages for good, or with `--superseded` only
 * those a newer applied update has overtaken (the ledger is then required). Without `--yes` it
 * only counts.
 */
import { DlqArgumentError } from "../../tools/dlq/errors.ts";
import { describeFilter, isEmptyFilter, type MessageFilter } from "../../tools/dlq/filters.ts";
import { purgeMessages } from "../../tools/dlq/purge.ts";
import { type DlqTarget, guardDestructive, resolveDlqTarget } from "../shared/dlq-target.ts";
import { appliedVersionLookupFor, type LedgerFlags, resolveLedger } from "../shared/ledger.ts";
import { formatPurge } from "./dlq-format.ts";
import {
  announce,
  type CommonFlags,
  DLQ_EXIT_CODES,
  type DlqIo,
  json,
  readExitCode,
  readSettings,
} from "./dlq-io.ts";
import { filterFrom } from "./dlq-options.ts";

export type PurgeFlags = CommonFlags &
  LedgerFlags & { yes?: boolean; all?: boolean; export?: string; superseded?: boolean };

export async function purge(io: DlqIo, flags: PurgeFlags, signal: AbortSignal): Promise<number> {
  const filter = filterFrom(flags);
  // --superseded narrows like a filter: what it selects is never "every message".
  if (flags.yes && isEmptyFilter(filter) && !flags.superseded && !flags.all) {
    throw new DlqArgumentError("no filter given: that is every message. Add --all if you mean it.");
  }
  const target = await resolveDlqTarget(flags, { needsSource: false });
  // Found before saying what is about to happen: without a ledger there is nothing to do.
  const ledger = flags.superseded ? supersededLedger(flags, target) : undefined;
  announce(
    io,
    target,
    `${flags.yes ? "REMOVE" : "dry run (no --yes): count, remove nothing, for"} ${describeSelection(filter, ledger !== undefined)}`,
  );
  if (flags.yes) io.err(`  checked: ${await guardDestructive(target, flags.force ?? false)}\n`);
  if (ledger !== undefined) io.err(`  superseded check: the ledger table ${ledger.table}\n`);
  const summary = await purgeMessages({
    sqs: target.sqs,
    dlqUrl: target.dlqUrl,
    filter,
    confirm: flags.yes ?? false,
    exportTo: flags.export,
    onlySuperseded: ledger?.lookup,
    ...readSettings(io, flags, signal),
  });
  io.out(flags.json ? json(summary) : formatPurge(summary));
  return summary.notRemoved > 0 || summary.interrupted ? DLQ_EXIT_CODES.partial : readExitCode(summary);
}

/**
 * The ledger `--superseded` reads (shared/ledger.ts).
 * @throws DlqArgumentError when there is none
 */
function supersededLedger(flags: PurgeFlags, target: DlqTarget) {
  const ledger = appliedVersionLookupFor(resolveLedger(flags, target.origin));
  if (ledger === undefined) {
    throw new DlqArgumentError(
      "--superseded needs the ledger to tell what is superseded: pass --ledger-table NAME (with --ledger-endpoint-url URL for a non-AWS endpoint), or run it beside `spot-meta dev`",
    );
  }
  return ledger;
}

function describeSelection(filter: MessageFilter, superseded: boolean): string {
  const selection = describeFilter(filter);
  return superseded ? `${selection}; only those a newer applied update supersedes` : selection;
}
