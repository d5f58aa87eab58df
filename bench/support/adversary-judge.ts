/**
 * The end state of an adversarial run, judged: what is wrong with it (nothing, when the property
 * holds). What is valid is known from the scenario, not from what the pipeline did:
 * - an update Spot refuses (its metadata has a field Spot does not allow) is not valid: it is
 *   dead-lettered as `permanent` with Spot's status, unless a newer update superseded it;
 * - an update dated past the clock-skew limit is not valid when the handler dead-letters it as
 *   `invalid`; one dated just inside the limit is valid like any other;
 * - an update for an order Spot does not know is dead-lettered as `permanent` with its 404, in a run
 *   of them past the circuit's threshold too;
 * - every other update is valid, whatever its forged `history` or how often it was sent.
 * Each known order must hold its greatest valid update (or nothing, when it has none), the ledger must
 * record it, the source queue must be empty, and the DLQ must hold only what cannot succeed, with
 * its reason. Dead letters replayed during the run are judged too: nothing is dead-lettered for a
 * systemic answer, for its age in a run of seconds, nor as exhausted with fewer failures than the
 * queue allows.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { LEDGER_KEY, LedgerAttribute } from "../../lib/lambda/ledger/table.ts";
import { compareVersions, parseVersionNumber, type Version } from "../../lib/lambda/processor/version.ts";
import { type Failure, ReasonClass } from "../../lib/lambda/sqs/failure-attributes.ts";
import type { LocalStack } from "../../lib/local/local-stack.ts";
import type { Produced, Sent } from "./adversary-produce.ts";
import { MAX_RECEIVE_COUNT, orderId, type Scenario } from "./adversary-scenario.ts";

/** A message seen in the DLQ: at the end, or replayed from it during the run. */
export interface Letter {
  body: string;
  failure: Failure | undefined;
}

/** What the run saw besides the end state. */
export interface Observed {
  /** Letters the replays took out of the DLQ during the run. */
  replayed: Letter[];
  /** Letters in the DLQ at the end. */
  final: Letter[];
  /** Per update (see {@link updateKey}), when its receives' invocations crashed or timed out (epoch ms). */
  lostReceives: Map<string, number[]>;
}

/** One key per update: its order and its metadata's JSON text (every copy of it alike). */
export const updateKey = (publicId: unknown, metadata: unknown) => `${publicId} ${JSON.stringify(metadata)}`;

export async function judge(
  scenario: Scenario,
  produced: Produced,
  observed: Observed,
  stack: LocalStack,
): Promise<string[]> {
  const sentByKey = new Map(produced.sent.map((sent) => [updateKey(sent.publicId, sent.metadata), sent]));
  const letters = [...observed.replayed, ...observed.final].map((letter) => readLetter(letter, sentByKey));
  const finals = observed.final.map((letter) => readLetter(letter, sentByKey));
  const queued = await stack.queueDepth(stack.queues.queueUrl);
  return [
    ...(await judgeOrders(scenario, produced.sent, finals, stack)),
    ...(queued.visible + queued.inFlight + queued.delayed > 0
      ? [`the source queue still holds ${JSON.stringify(queued)}`]
      : []),
    ...judgeFinalLetters(produced, finals, stack),
    ...judgeEveryLetter(scenario, letters, observed, stack),
  ];
}

interface ReadLetter {
  letter: Letter;
  key: string | undefined;
  publicId: string | undefined;
  reasonClass: string | undefined;
  /** The update it is, when it is one of the known orders'. */
  sent: Sent | undefined;
}

function readLetter(letter: Letter, sentByKey: Map<string, Sent>): ReadLetter {
  let body: { publicId?: unknown; metadata?: unknown } = {};
  try {
    const parsed = JSON.parse(letter.body) as unknown;
    if (parsed !== null && typeof parsed === "object") body = parsed;
  } catch {}
  const publicId = typeof body.publicId === "string" ? body.publicId : undefined;
  const key = publicId === undefined ? undefined : updateKey(publicId, body.metadata);
  const sent = key === undefined ? undefined : sentByKey.get(key);
  return { letter, key, publicId, reasonClass: letter.failure?.reasonClass, sent };
}

/**
 * Each known order holds its greatest valid update, and the ledger records that version. An update
 * dated past the skew limit and dead-lettered as invalid may still have been applied, by a receive
 * late enough to find it inside the limit (after a crash that followed its dead-lettering): the order
 * may then hold it instead, if it is the greater.
 */
async function judgeOrders(
  scenario: Scenario,
  sent: Sent[],
  finals: ReadLetter[],
  stack: LocalStack,
): Promise<string[]> {
  const refusedAsInvalid = new Set(
    finals.filter((l) => l.sent?.skewOutside && l.reasonClass === ReasonClass.invalid).map((l) => l.sent),
  );
  const valid = sent.filter((s) => s.refusedWith === undefined && !refusedAsInvalid.has(s));
  const problems: string[] = [];
  for (let n = 0; n < scenario.orders; n++) {
    const publicId = orderId(n);
    const mine = valid.filter((s) => s.publicId === publicId);
    const acceptable = [
      greatest(mine),
      ...[...refusedAsInvalid]
        .filter((s) => s?.publicId === publicId)
        .map((s) => greatest([...mine, ...(s === undefined ? [] : [s])])),
    ];
    const held = stack.sandbox.metadataOf(publicId) ?? null;
    const expected =
      acceptable.find((s) => JSON.stringify(s?.metadata ?? null) === JSON.stringify(held)) ?? acceptable[0];
    if (JSON.stringify(held) !== JSON.stringify(expected?.metadata ?? null)) {
      const heldSent = sent.find((s) => updateKey(s.publicId, s.metadata) === updateKey(publicId, held));
      const by = stack.sandbox.lastCommitOf(publicId);
      const writer = by === undefined ? "" : ` (written by a request with fault ${by.fault ?? "none"})`;
      const fate = expected === undefined ? "" : ` (${fateOf(expected, finals, stack)})`;
      problems.push(
        `${publicId}: Spot holds ${JSON.stringify(held)}${describeSent(heldSent, refusedAsInvalid)}${writer}, not its greatest valid update ${JSON.stringify(expected?.metadata ?? null)}${fate}`,
      );
    }
    const recorded = await recordedVersion(stack, publicId);
    const same = (a: Version | undefined, b: Version | undefined) =>
      a === undefined || b === undefined ? a === b : compareVersions(a, b) === 0;
    if (!same(recorded, expected?.version)) {
      problems.push(
        `${publicId}: the ledger records ${JSON.stringify(recorded)}, not ${JSON.stringify(expected?.version)}`,
      );
    }
  }
  return problems;
}

/** What became of an update: what Spot answered its POSTs, and whether it is in the DLQ. */
function fateOf(update: Sent, finals: ReadLetter[], stack: LocalStack): string {
  const key = updateKey(update.publicId, update.metadata);
  const answers = stack.sandbox.requests
    .filter((r) => r.method === "POST" && updateKey(r.publicId, r.metadata) === key)
    .map((r) => r.fault ?? String(r.status ?? "no answer"));
  const letters = finals
    .filter((l) => l.key === key)
    .map((l) => `${l.reasonClass}: ${l.letter.failure?.reason}`);
  const sentTo = answers.length === 0 ? "never sent to Spot" : `Spot answered ${answers.join(", ")}`;
  return letters.length === 0 ? sentTo : `${sentTo}; in the DLQ as ${letters.join("; ")}`;
}

function describeSent(sent: Sent | undefined, refusedAsInvalid: Set<Sent | undefined>): string {
  if (sent === undefined) return "";
  if (sent.refusedWith !== undefined) return ` (an update Spot refuses with ${sent.refusedWith})`;
  if (refusedAsInvalid.has(sent)) return " (an update dead-lettered as invalid: past the clock-skew limit)";
  return "";
}

function greatest(updates: Sent[]): Sent | undefined {
  let best: Sent | undefined;
  for (const update of updates) {
    if (best === undefined || compareVersions(update.version, best.version) > 0) best = update;
  }
  return best;
}

async function recordedVersion(stack: LocalStack, publicId: string): Promise<Version | undefined> {
  const dynamo = stack.dynamoDb;
  if (dynamo === undefined) return undefined;
  const { Item } = await dynamo.client().send(
    new GetItemCommand({
      TableName: dynamo.table,
      Key: { [LEDGER_KEY]: { S: publicId } },
      ConsistentRead: true,
    }),
  );
  const order = Item?.[LedgerAttribute.appliedOrder]?.N;
  return order === undefined ? undefined : parseVersionNumber(order);
}

/**
 * The DLQ at the end holds only what cannot succeed, each with its reason: the invalid bodies and the
 * updates dated past the skew limit (`invalid`), the updates of unknown orders (`permanent`, 404), the
 * updates Spot refuses (`permanent`, its status); and at least one letter of each of them that no
 * newer update could supersede.
 */
function judgeFinalLetters(produced: Produced, finals: ReadLetter[], stack: LocalStack): string[] {
  const problems: string[] = [];
  const unknown = new Set(produced.unknownOrders);
  const invalidBodies = new Set(produced.invalidBodies);
  const explained = (l: ReadLetter): boolean => {
    const status = l.letter.failure?.status;
    if (l.reasonClass === ReasonClass.invalid)
      return invalidBodies.has(l.letter.body) || !!l.sent?.skewOutside;
    if (l.reasonClass !== ReasonClass.permanent) return false;
    if (l.publicId !== undefined && unknown.has(l.publicId)) return status === 404;
    return l.sent?.refusedWith !== undefined && status === l.sent.refusedWith;
  };
  const unexplained = finals.filter((l) => !explained(l));
  if (unexplained.length > 0) {
    const what = unexplained.map(
      (l) =>
        `${l.publicId} ${l.key ?? l.letter.body} (${l.reasonClass ?? "no reason"}: ${l.letter.failure?.reason})`,
    );
    problems.push(`dead-lettered though it could succeed, or for the wrong reason: ${what.join("; ")}`);
  }
  const invalid = finals.filter(
    (l) => l.reasonClass === ReasonClass.invalid && invalidBodies.has(l.letter.body),
  );
  if (invalid.length < invalidBodies.size)
    problems.push(`the DLQ holds ${invalid.length} invalid bodies, not ${invalidBodies.size}`);
  for (const publicId of unknown) {
    if (!finals.some((l) => l.publicId === publicId && l.reasonClass === ReasonClass.permanent))
      problems.push(`no update of the unknown order ${publicId} is in the DLQ as permanent`);
  }
  for (const sent of produced.sent) {
    if (sent.refusedWith === undefined || !isNewestSent(sent, produced.sent)) continue;
    // Dated past the skew limit too, it may be dead-lettered as invalid before Spot sees it.
    const reasons: string[] = [ReasonClass.permanent, ...(sent.skewOutside ? [ReasonClass.invalid] : [])];
    if (!finals.some((l) => l.sent === sent && reasons.includes(l.reasonClass ?? "")))
      problems.push(
        `${updateKey(sent.publicId, sent.metadata)}: Spot refuses it, and it is not in the DLQ (${fateOf(sent, finals, stack)})`,
      );
  }
  return problems;
}

/** Newer than every other update of its order: nothing can supersede it. */
function isNewestSent(sent: Sent, all: Sent[]): boolean {
  return all.every(
    (other) =>
      other.publicId !== sent.publicId || other === sent || compareVersions(sent.version, other.version) > 0,
  );
}

/**
 * Every letter of the run, replayed or not: none for a systemic answer (401, 403, a redirect), none
 * for its age (the runs last seconds), none exhausted before it could have failed MAX_RECEIVE_COUNT
 * times (Spot's failed answers to it and its receives that crashed bound its own failures; a run with
 * connections refused is not bounded so: those failures leave no trace at the sandbox).
 */
function judgeEveryLetter(
  scenario: Scenario,
  letters: ReadLetter[],
  observed: Observed,
  stack: LocalStack,
): string[] {
  const problems: string[] = [];
  /** Per update, when Spot failed it: a POST answered with a fault or not 200 (epoch ms of arrival). */
  const failedAtSpot = new Map<string, number[]>();
  for (const request of stack.sandbox.requests) {
    if (request.method !== "POST" || (request.fault === undefined && request.status === 200)) continue;
    const key = updateKey(request.publicId, request.metadata);
    failedAtSpot.set(key, [...(failedAtSpot.get(key) ?? []), request.receivedAt]);
  }
  // Only what came before the letter's last failure counts toward it (a replayed update fails anew).
  const before = (times: number[] | undefined, at: number) => (times ?? []).filter((t) => t <= at).length;
  for (const l of letters) {
    const { failure } = l.letter;
    if (failure === undefined) continue;
    const name = `${l.key ?? l.letter.body}${l.sent?.history === undefined ? "" : ` (forged history ${l.sent.history})`}`;
    const status = failure.status ?? 0;
    if (status === 401 || status === 403 || (status >= 300 && status < 400))
      problems.push(
        `${name}: dead-lettered for a systemic answer (${failure.reasonClass}: ${failure.reason})`,
      );
    if (/^handed back for [\d.]+ h/.test(failure.reason))
      problems.push(`${name}: dead-lettered for its age in a run of seconds (${failure.reason})`);
    if (failure.reasonClass !== ReasonClass.exhausted || l.key === undefined || scenario.unreachable)
      continue;
    const at = failure.lastFailureAt.getTime();
    const bound = before(failedAtSpot.get(l.key), at) + before(observed.lostReceives.get(l.key), at);
    if (bound < MAX_RECEIVE_COUNT && !/^handed back for/.test(failure.reason))
      problems.push(
        `${name}: dead-lettered as exhausted (attempts ${failure.attempts}: ${failure.reason}) after at most ${bound} failures of its own`,
      );
  }
  return problems;
}
