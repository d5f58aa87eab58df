/**
 * The soak's end-state checks (bench/support/soak-run.ts runs the soak): nothing lost, every dead
 * letter with the right reason, no stale order, and, watched while the soak runs, no older update
 * acknowledged by Spot after a newer one.
 */
import { ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import type { SandboxRequest } from "../../lib/local/sandbox/types.ts";
import type { drainQueue } from "../../test/support/queues.ts";
import type { Workload } from "./soak-workload.ts";

/** The end state's counts, as the soak's report gives them. */
export interface EndState {
  /** Distinct updates by final outcome; their sum is `sent` when nothing is lost. */
  applied: number;
  superseded: number;
  deadLettered: number;
  /** Dead letters in the DLQ, duplicates included (a crash after the DLQ write). */
  deadLetterCopies: number;
  deadLetteredBy: Record<string, number>;
  /** Orders whose metadata at Spot is not that of their newest valid update; 0 when the run passed. */
  staleOrders: number;
}

/** The end-state checks: conservation, reasons, and what Spot holds. */
export function judge(
  workload: Workload,
  outcomes: Map<string, Set<string>>,
  dead: Awaited<ReturnType<typeof drainQueue>>,
  stack: LocalStack,
  problems: string[],
): EndState {
  const deadKeys = new Set<string>();
  const deadLetteredBy: Record<string, number> = {};
  const byKey = new Map(workload.updates.map((u) => [u.key, u]));
  for (const letter of dead) {
    const key = keyOfBody(letter.body);
    deadKeys.add(key);
    const update = byKey.get(key);
    const failure = letter.failure;
    const reason = [failure?.reasonClass, failure?.status, failure?.errorType]
      .filter((p) => p !== undefined)
      .join(" ");
    deadLetteredBy[reason] = (deadLetteredBy[reason] ?? 0) + 1;
    if (update === undefined) {
      problems.push(`a dead letter that was never sent: ${letter.body.slice(0, 80)}`);
      continue;
    }
    const expected = update.expectedFailure;
    const fine =
      expected === undefined
        ? failure?.reasonClass === ReasonClass.exhausted
        : failure?.reasonClass === ReasonClass.permanent &&
          failure.status === expected.status &&
          failure.errorType === expected.errorType;
    if (!fine)
      problems.push(
        `${key} dead-lettered as "${reason}", expected ${JSON.stringify(expected ?? "exhausted")}`,
      );
  }
  let applied = 0;
  let superseded = 0;
  let deadLettered = 0;
  for (const update of workload.updates) {
    const seen = outcomes.get(update.key) ?? new Set();
    if (seen.has("applied")) applied++;
    else if (deadKeys.has(update.key)) deadLettered++;
    else if (seen.has("superseded")) superseded++;
    else problems.push(`${update.key} is lost: no final outcome and not in the DLQ`);
    if (update.expectedFailure !== undefined && !deadKeys.has(update.key)) {
      problems.push(`${update.key} should have been dead-lettered (${update.expectedFailure.errorType})`);
    }
  }
  if (applied + superseded + deadLettered !== workload.updates.length) {
    problems.push(
      `applied ${applied} + superseded ${superseded} + dead-lettered ${deadLettered} ≠ sent ${workload.updates.length}`,
    );
  }
  const staleOrders = countStaleOrders(workload, stack, problems);
  if (staleOrders > 0) {
    problems.push(`${staleOrders} stale orders: Spot does not hold the newest valid update of each`);
  }
  return { applied, superseded, deadLettered, deadLetterCopies: dead.length, deadLetteredBy, staleOrders };
}

/**
 * Compares what Spot holds with the newest valid update of each order (the workload's expected map).
 * No leeway: an update that was dead-lettered, superseded in a batch or overwritten by a late write
 * still had to win if it was the newest. Names, per stale order, the write that Spot holds.
 * @returns how many orders are stale.
 */
function countStaleOrders(workload: Workload, stack: LocalStack, problems: string[]): number {
  let stale = 0;
  for (const [publicId, want] of workload.expected) {
    const held = stack.sandbox.metadataOf(publicId);
    if (jsonEqual(held, want)) continue;
    stale++;
    const last = stack.sandbox.lastCommitOf(publicId);
    const landed = last === undefined ? "" : ` (last written by a request with ${last.fault ?? "no fault"})`;
    problems.push(
      `${publicId} is stale: holds ${JSON.stringify(held)}${landed}, newest is ${JSON.stringify(want)}`,
    );
  }
  return stale;
}

/** Deep equality of JSON values, whatever the order of keys; undefined and null are distinct. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
  );
}

/**
 * Watches the sandbox's request log: counts calls, faults and the writes that landed under a fault.
 * Whether updates were applied in the order of their versions is judged from the handler's own
 * outcome lines ({@link appliedOutOfOrder}): a 200 the sandbox wrote after the client gave up is a
 * late write the handler never saw, left to the stale check, since when it lands is Spot's doing.
 * Folds the log every second and clears it, so a long soak does not keep every request.
 */
export class OrderingWatch {
  calls = 0;
  faults = 0;
  writesUnderFaults = 0;
  lateWrites = 0;
  readonly #counted = new WeakSet<SandboxRequest>();
  #pending: SandboxRequest[] = [];

  fold(stack: LocalStack): void {
    const fresh = [...stack.sandbox.requests];
    stack.sandbox.clearRequests();
    this.calls += fresh.length;
    this.faults += fresh.filter((r) => r.fault !== undefined).length;
    const all = [...this.#pending, ...fresh];
    for (const request of all) this.#countWriteUnderFault(request);
    // A hang never answers, nor does a late commit to a client that left: forget those after a while
    // (long after a late commit has landed and been counted).
    const now = Date.now();
    this.#pending = all.filter((r) => r.answeredAt === undefined && now - r.receivedAt < 10_000);
  }

  #countWriteUnderFault(request: SandboxRequest): void {
    if (request.committedAt === undefined || request.fault === undefined || this.#counted.has(request))
      return;
    this.#counted.add(request);
    this.writesUnderFaults++;
    if (request.fault === "late-commit") this.lateWrites++;
  }
}

/** An `applied` outcome line of the handler: when Spot answered the 200 it saw and recorded. */
export interface AppliedLine {
  publicId: string;
  issuedAt: number;
  decidedAt: number;
}

/**
 * The updates the handler applied and recorded after a newer one of the same order was: what
 * "an update is never sent once a newer one is recorded" forbids. In the order Spot answered.
 */
export function appliedOutOfOrder(applied: AppliedLine[]): string[] {
  const newest = new Map<string, number>();
  const problems: string[] = [];
  for (const { publicId, issuedAt, decidedAt } of [...applied].sort((a, b) => a.decidedAt - b.decidedAt)) {
    const last = newest.get(publicId) ?? Number.NEGATIVE_INFINITY;
    if (issuedAt < last)
      problems.push(
        `${publicId}: version ${issuedAt} applied after ${last} (at ${new Date(decidedAt).toISOString()})`,
      );
    newest.set(publicId, Math.max(issuedAt, last));
  }
  return problems;
}

/** The update's key (`publicId@issuedAt`, as the workload has it) read back from its body. */
export function keyOfBody(body: string): string {
  try {
    const { publicId, issuedAt } = JSON.parse(body) as { publicId?: string; issuedAt?: string };
    return `${publicId}@${issuedAt}`;
  } catch {
    return body;
  }
}
