/**
 * The steps of `spot-meta smoke`, over what it talks to (given, so that each can be a real server
 * or a fake): read the test order from Spot, send it one update through the queue, wait (bounded)
 * until the ledger records it or Spot holds it, confirm Spot holds it, then send the order's
 * previous metadata back as a newer update and wait for it too.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { UpdateMessage } from "../../lambda/contract.ts";
import { compareVersions, tieBreakOf, type Version } from "../../lambda/processor/version.ts";
import type { OrderLookup } from "../../lambda/spot/client.ts";
import type { OrderMetadata } from "../../lambda/spot/order-schema.ts";
import type { EnqueueResult } from "../../tools/producer.ts";
import { failed, judgeFirstRead, keysOf, notChecked, ok, type Part, sameJson } from "./smoke-parts.ts";

/** The key the smoke update adds to the order's metadata (its value: when the check ran). */
export const SMOKE_KEY = "spotMetaSmoke";

export interface SmokeDeps {
  publicId: string;
  baseUrl: string;
  /** How long to wait for each update's outcome. */
  timeoutMs: number;
  /** Between two looks at Spot and the ledger. */
  pollMs: number;
  readOrder(): Promise<OrderLookup>;
  send(update: UpdateMessage): Promise<EnqueueResult>;
  /** Whether the queue answers (undefined) or why not, without sending. */
  probeQueue(): Promise<string | undefined>;
  /** Messages in the queue, visible or in flight; undefined when it cannot be told. */
  queueDepth(): Promise<number | undefined>;
  /** The order's version the ledger records; undefined without a ledger. */
  appliedVersion: (() => Promise<Version | undefined>) | undefined;
  /** Why the ledger could not be read, in one line. */
  describeLedgerError(error: unknown): string;
}

interface Outcome {
  spotHolds: boolean;
  ledger: { recorded: boolean } | { error: string } | undefined;
  elapsedMs: number;
}

/** Runs the check; one part a line, in {@link PART_NAMES}' order but the alarm topic (the caller's). */
export async function runSmokeCheck(deps: SmokeDeps): Promise<Part[]> {
  const first = judgeFirstRead(await deps.readOrder(), deps.publicId, deps.baseUrl);
  if (!first.readable) {
    const nothingSent = "nothing sent: the order could not be read first, so it could not be put back";
    const queueProblem = await deps.probeQueue();
    return [
      queueProblem === undefined
        ? notChecked("queue", `answers; ${nothingSent}`)
        : failed("queue", queueProblem),
      notChecked("function", nothingSent),
      first.token,
      first.spot,
      notChecked("ledger", nothingSent),
      notChecked("restore", "nothing to put back"),
    ];
  }
  const issuedAtMs = Date.now();
  const metadata = { ...(first.metadata ?? {}), [SMOKE_KEY]: new Date(issuedAtMs).toISOString() };
  const sent = await deps.send({
    publicId: deps.publicId,
    metadata,
    issuedAt: new Date(issuedAtMs).toISOString(),
  });
  if (!sent.ok) {
    // The queue's own failure (which queue, what to check) says more than the send's.
    const problem = sent.cause === "unavailable" ? await deps.probeQueue() : undefined;
    return [
      failed("queue", problem ?? `refused the update (${sent.cause}): ${sent.reason}`),
      notChecked("function", "nothing sent"),
      first.token,
      first.spot,
      notChecked("ledger", "nothing sent"),
      notChecked("restore", "nothing sent, the order is as it was"),
    ];
  }
  const version = { issuedAt: issuedAtMs, tieBreak: tieBreakOf(metadata) };
  const outcome = await waitForOutcome(deps, metadata, version);
  return [
    ok("queue", `accepted the update (message ${sent.messageId})`),
    await functionPart(deps, outcome),
    first.token,
    spotPart(deps.publicId, outcome, metadata),
    ledgerPart(outcome),
    await restore(deps, first.metadata, issuedAtMs, outcome.spotHolds),
  ];
}

/** Looks at the ledger and at Spot until both show the update, or the time is up. */
async function waitForOutcome(deps: SmokeDeps, metadata: OrderMetadata, version: Version): Promise<Outcome> {
  const started = Date.now();
  let ledger: Outcome["ledger"] = deps.appliedVersion === undefined ? undefined : { recorded: false };
  for (;;) {
    if (
      deps.appliedVersion !== undefined &&
      ledger !== undefined &&
      "recorded" in ledger &&
      !ledger.recorded
    ) {
      try {
        const found = await deps.appliedVersion();
        ledger = { recorded: found !== undefined && compareVersions(found, version) >= 0 };
      } catch (error) {
        ledger = { error: deps.describeLedgerError(error) };
      }
    }
    const spotHolds = await holds(deps, metadata);
    const ledgerDone = ledger === undefined || !("recorded" in ledger) || ledger.recorded;
    const elapsedMs = Date.now() - started;
    if ((spotHolds && ledgerDone) || elapsedMs >= deps.timeoutMs) return { spotHolds, ledger, elapsedMs };
    await sleep(Math.min(deps.pollMs, deps.timeoutMs - elapsedMs));
  }
}

async function holds(deps: SmokeDeps, metadata: OrderMetadata): Promise<boolean> {
  const lookup = await deps.readOrder();
  return lookup.kind === "found" && sameJson(lookup.order.metadata ?? null, metadata);
}

async function functionPart(deps: SmokeDeps, outcome: Outcome): Promise<Part> {
  const seconds = (outcome.elapsedMs / 1000).toFixed(1);
  const recorded = outcome.ledger !== undefined && "recorded" in outcome.ledger && outcome.ledger.recorded;
  if (outcome.spotHolds || recorded) return ok("function", `processed the update within ${seconds} s`);
  const depth = await deps.queueDepth();
  const inQueue = depth === undefined ? "" : `; the queue holds ${depth} message(s)`;
  return failed(
    "function",
    `did not apply the update within ${seconds} s${inQueue}: the function is not consuming the queue, or hands the update back or dead-letters it (its error line, the systemic-failures alarm and \`spot-meta dlq peek\` name the cause)`,
  );
}

function spotPart(publicId: string, outcome: Outcome, metadata: OrderMetadata): Part {
  if (outcome.spotHolds) return ok("Spot", `${publicId} holds the update (keys: ${keysOf(metadata)})`);
  const recorded = outcome.ledger !== undefined && "recorded" in outcome.ledger && outcome.ledger.recorded;
  if (recorded) return failed("Spot", `${publicId} does not hold the update the ledger records as applied`);
  return notChecked("Spot", `reads ${publicId}; the update did not reach it (see function)`);
}

function ledgerPart(outcome: Outcome): Part {
  const ledger = outcome.ledger;
  if (ledger === undefined)
    return notChecked("ledger", "no ledger (--ledger-table, or --outputs with LedgerTableName)");
  if ("error" in ledger) return failed("ledger", ledger.error);
  if (ledger.recorded) return ok("ledger", "records the update's version");
  if (!outcome.spotHolds) return notChecked("ledger", "the update was not applied");
  return failed("ledger", "does not record the update Spot holds: does the function use this ledger?");
}

/** Sends the order's previous metadata back as a newer update, and waits for Spot to hold it. */
async function restore(
  deps: SmokeDeps,
  previous: OrderMetadata | null,
  smokeIssuedAtMs: number,
  smokeApplied: boolean,
): Promise<Part> {
  const metadata = previous ?? {};
  const keys = previous === null ? "it had none: put back as {}" : `keys: ${keysOf(previous)}`;
  const issuedAt = new Date(Math.max(Date.now(), smokeIssuedAtMs + 1)).toISOString();
  const sent = await deps.send({ publicId: deps.publicId, metadata, issuedAt });
  if (!sent.ok)
    return failed(
      "restore",
      `could not send the previous metadata back (${sent.cause}: ${sent.reason}): put ${deps.publicId} back by hand (${keys})`,
    );
  if (!smokeApplied)
    return notChecked("restore", `previous metadata sent back as a newer update (${keys}); not waited for`);
  const started = Date.now();
  for (;;) {
    if (await holds(deps, metadata))
      return ok("restore", `${deps.publicId} holds its previous metadata (${keys})`);
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= deps.timeoutMs)
      return failed(
        "restore",
        `previous metadata sent back, but ${deps.publicId} did not hold it within ${(elapsedMs / 1000).toFixed(1)} s (${keys})`,
      );
    await sleep(Math.min(deps.pollMs, deps.timeoutMs - elapsedMs));
  }
}
