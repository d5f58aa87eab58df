/**
 * Newest wins, measured as deployed: the local stack `spot-meta dev` starts (embedded SQS with the
 * stack's queues, the applied-updates ledger on dynalite, the Spot sandbox), with no consumer of its
 * own; N separate `spot-meta worker` processes (one poller each, like N Lambda instances) consume its
 * queue; O orders × V versions are sent shuffled through the producer while Spot fails now and then
 * (late writes landing 2 s after the client's attempt timed out — inside the late-write window — plus
 * 5xx, written-then-503, resets and hangs). Prints the time from the first send until the source
 * queue is empty, the stale orders (Spot not holding the greatest version of an order not
 * dead-lettered), outcome log lines, receives and calls to Spot per update, and what was
 * dead-lettered and why.
 *
 * Settings: nothing shortened. The workers run every handler setting at its default (the 5-s
 * attempt timeout, 2 retries, the 30-s late-write window, the 120-s lease, 30-s backoff base) and
 * the worker's own defaults (batches of 10 gathered for 1 s, a 60-s function timeout, 5-s long
 * polls); the queues have the deployed stack's settings (visibility 365 s rather than the local
 * stack's 30 s, 8 receives). Only Spot differs from production: the sandbox on loopback, 5–40 ms
 * per answer, 12 % of calls faulted.
 *
 *   npm run bench:ordering -- [--orders 100] [--versions 6] [--workers 2] [--seed 1] [--timeout 600]
 */
import { cpus } from "node:os";
import { DEFAULT_QUEUE_SETTINGS } from "../lib/lambda/queue-settings.ts";
import { describeFault } from "../lib/local/sandbox/fault-plan.ts";
import {
  FAULTS,
  HANDLER_DEFAULTS,
  LATENCY_MS,
  type OrderingReport,
  runOrdering,
} from "./support/ordering-run.ts";
import { fmt, numberFlag } from "./support/pipeline-run.ts";

const OPTIONS = {
  orders: numberFlag("orders", 100),
  versions: numberFlag("versions", 6),
  workers: numberFlag("workers", 2),
  seed: numberFlag("seed", 1),
  timeoutSeconds: numberFlag("timeout", 600),
  onProgress: (line: string) => console.log(line),
};
const TARGETS = { drainSeconds: 120, drainLimit: 200, linesPerMessage: 1.5 };

printSettings();
const report = await runOrdering(OPTIONS);
printFigures(report);
if (report.drainSeconds === undefined || report.stale.length > 0) process.exitCode = 1;

function printSettings(): void {
  const h = HANDLER_DEFAULTS;
  const q = DEFAULT_QUEUE_SETTINGS;
  console.log(
    [
      `bench:ordering: ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
      `  ${OPTIONS.orders} orders × ${OPTIONS.versions} versions = ${OPTIONS.orders * OPTIONS.versions} updates, shuffled (seed ${OPTIONS.seed}); ${OPTIONS.workers} \`spot-meta worker\` processes, 1 poller each`,
      `  handler defaults: attempt timeout ${h.requestTimeoutMs} ms, ${h.retryLimit} retries (≤ ${h.retryMaxDelayMs} ms apart), late-write window ${h.lateWriteWindowSeconds} s, lease ${h.ledgerLeaseSeconds} s, backoff ${h.backoffBaseSeconds}–${h.backoffMaxSeconds} s, ${h.concurrency} calls in flight, pace ≤ ${h.requestsPerSecond}/s (learned: ${h.adaptivePace})`,
      `  worker defaults: batches of 10 within 1 s, function timeout 60 s, long poll 5 s; queue: visibility ${q.visibilityTimeoutSeconds} s, ${q.maxReceiveCount} receives`,
      `  nothing shortened; Spot (the sandbox): ${LATENCY_MS.min}–${LATENCY_MS.max} ms, faults ${FAULTS.map((f) => `${describeFault(f.fault)}${f.fault.kind === "late-commit" ? ` ${f.fault.afterMs} ms` : ""} ${f.rate * 100} %`).join(", ")}`,
      "",
    ].join("\n"),
  );
}

function printFigures(r: OrderingReport): void {
  const perUpdate = (n: number) => fmt(n / r.sent, 2);
  const t = r.tally;
  const drain =
    r.drainSeconds === undefined
      ? `not empty after ${OPTIONS.timeoutSeconds} s (${r.left.visible} visible, ${r.left.inFlight} in flight, ${r.left.delayed} delayed)`
      : `${fmt(r.drainSeconds, 1)} s (target < ${TARGETS.drainSeconds}, limit ${TARGETS.drainLimit})`;
  console.log(
    [
      `\nsent ${r.sent} updates in ${fmt(r.sendSeconds, 1)} s`,
      `drained (source queue empty)   ${drain}`,
      `stale orders                   ${r.stale.length}`,
      `outcome lines per update       ${perUpdate(t.outcomeLines)} (${fmt(t.outcomeLines)} lines; target < ${TARGETS.linesPerMessage})`,
      `receives per update            ${perUpdate(t.receives)} (${fmt(t.receives)} receives of ${fmt(t.messages)} SQS messages: the updates and the hand-backs sent anew)`,
      `calls to Spot per update       ${perUpdate(r.calls)} (${fmt(r.calls)} POSTs, ${fmt(r.otherRequests)} other requests)`,
      `invocations                    ${fmt(t.invocations)}`,
      `outcomes                       ${entries(t.byOutcome)}${t.keptToReassert > 0 ? ` (${t.keptToReassert} applied kept to be sent again: re-assertion)` : ""}`,
      `hand-backs by cause            ${entries(t.handBacksByCause) || "none"}`,
      `dead-lettered (DLQ)            ${r.dead.length}${r.dead.length > 0 ? `: ${entries(deadByReason(r))}` : ""}`,
      `faults injected                ${entries(r.faultsInjected)} (${fmt((100 * sum(r.faultsInjected)) / r.calls, 1)} % of POSTs)`,
      `writes landed under a fault    ${r.writesUnderFaults} (${r.lateWrites} late, after the client gave up)`,
    ].join("\n"),
  );
  if (t.otherWarnings.size > 0) console.log(`other warnings                 ${entries(t.otherWarnings)}`);
  for (const line of [...r.stderr, ...t.unparsed].slice(0, 20)) console.log(`  ${line}`);
  for (const order of r.stale) {
    console.log(
      `\nstale ${order.publicId}: holds v${order.held ?? "-"}, should hold v${order.expected ?? "-"}${order.deadLettered.length > 0 ? ` (dead-lettered: v${order.deadLettered.join(", v")})` : ""}`,
    );
    for (const line of order.story) console.log(`  ${line}`);
  }
}

function deadByReason(r: OrderingReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { failure } of r.dead) {
    const reason = [failure?.reasonClass, failure?.status, failure?.errorType]
      .filter((p) => p !== undefined)
      .join(" ");
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return counts;
}

function entries(counts: Map<string, number>): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}
