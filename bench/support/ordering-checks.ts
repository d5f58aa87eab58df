/**
 * The ordering benchmark's end state (bench/ordering.ts): which version each order holds at Spot
 * against the greatest version it should hold, and, for each stale order, its story: every call
 * Spot saw for it and every outcome line the workers wrote of it.
 */
import type { SandboxRequest, SpotSandbox } from "../../lib/local/sandbox/types.ts";
import type { DeadLetter } from "../../test/support/queues.ts";
import type { OutcomeLine } from "./ordering-tally.ts";
import { type OrderingUpdate, versionOf } from "./ordering-workload.ts";

export interface StaleOrder {
  publicId: string;
  /** The version Spot holds (undefined: never written). */
  held: number | undefined;
  /** The greatest version not dead-lettered. */
  expected: number | undefined;
  deadLettered: number[];
  /** What happened, one line each: Spot's calls and the workers' outcome lines, in time order. */
  story: string[];
}

/**
 * Per order, the version Spot must hold: its greatest version that was not dead-lettered; or a
 * greater one that was dead-lettered after its write may have landed (an exhausted update's last
 * failure may be a write whose answer was lost). Anything else is stale.
 */
export function staleOrders(
  updates: readonly OrderingUpdate[],
  dead: readonly DeadLetter[],
  sandbox: SpotSandbox,
  lines: readonly OutcomeLine[],
  startedAt: number,
): StaleOrder[] {
  const deadVersions = new Map<string, number[]>();
  for (const letter of dead) {
    const body = parseBody(letter.body);
    const version = versionOf(body?.metadata);
    if (body?.publicId === undefined || version === undefined) continue;
    deadVersions.set(body.publicId, [...(deadVersions.get(body.publicId) ?? []), version]);
  }
  const stale: StaleOrder[] = [];
  for (const publicId of new Set(updates.map((u) => u.publicId))) {
    const versions = updates.filter((u) => u.publicId === publicId).map((u) => u.version);
    const deadLettered = deadVersions.get(publicId) ?? [];
    const alive = versions.filter((v) => !deadLettered.includes(v));
    const expected = alive.length === 0 ? undefined : Math.max(...alive);
    const held = versionOf(sandbox.metadataOf(publicId));
    const fine =
      held === expected || (held !== undefined && held > (expected ?? 0) && deadLettered.includes(held));
    if (fine) continue;
    stale.push({
      publicId,
      held,
      expected,
      deadLettered,
      story: storyOf(publicId, sandbox, lines, startedAt),
    });
  }
  return stale;
}

function parseBody(body: string): { publicId?: string; metadata?: unknown } | undefined {
  try {
    return JSON.parse(body) as { publicId?: string; metadata?: unknown };
  } catch {
    return undefined;
  }
}

/** An order's calls at Spot and outcome lines, by time (seconds since the run's start). */
function storyOf(
  publicId: string,
  sandbox: SpotSandbox,
  lines: readonly OutcomeLine[],
  origin: number,
): string[] {
  const requests = sandbox.requests.filter((r) => r.publicId === publicId && r.method === "POST");
  const calls = requests.map((r) => ({ at: r.receivedAt - origin, text: callText(r, origin) }));
  const outcomes = lines
    .filter((line) => line.publicId === publicId)
    .map((line) => ({ at: line.at - origin, text: outcomeText(line) }));
  return [...calls, ...outcomes]
    .sort((a, b) => a.at - b.at)
    .map(({ at, text }) => `${(at / 1000).toFixed(1).padStart(6)} s  ${text}`);
}

function callText(request: SandboxRequest, origin: number): string {
  const answered = request.answeredAt === undefined ? "no answer" : `answered ${request.status ?? "-"}`;
  const landed =
    request.committedAt === undefined
      ? "not written"
      : `written at ${((request.committedAt - origin) / 1000).toFixed(1)} s (#${request.commitSeq})`;
  return `call v${versionOf(request.metadata) ?? "?"}: ${request.fault ?? "no fault"}, ${answered}, ${landed}`;
}

function outcomeText(line: OutcomeLine): string {
  const details = [line.cause, line.reasonClass, line.reason].filter((p) => p !== undefined).join(", ");
  const version = line.issuedAt === undefined ? "" : ` issuedAt ${line.issuedAt}`;
  return `worker ${line.worker}: ${line.outcome}${details ? ` (${details})` : ""}${version}, message ${line.messageId.slice(0, 8)} receive ${line.receiveCount ?? "?"}`;
}
