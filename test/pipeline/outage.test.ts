/**
 * Spot failing for a while must not cost good updates, nor keep real 404s going round for ever
 * (issue 21; a run of 404s while Spot cannot vouch for its base URL: not-found-runs.test.ts).
 * Played end to end: fauxqs queues, the ledger on dynalite, the real handler under the poller, and
 * the Spot sandbox over HTTP. Each test checks only the end state: what Spot holds, what the DLQ
 * holds and why, what the source queue holds.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { seededDice } from "../../lib/local/sandbox/fault-plan.ts";
import type { FaultPlan } from "../../lib/local/sandbox/types.ts";
import { orderId, sendBodies, type TestUpdate, waitFor } from "../support/queues.ts";
import { testStackPerTest } from "../support/test-stack.ts";
import { deadLetterSummaries, messageCount } from "./scripted-stack.ts";

const at = (second: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, second)).toISOString();

/** Spot answers 500 in its envelope to every call, until the test heals it. */
const SPOT_DOWN: FaultPlan = { random: [{ fault: { kind: "status", status: 500 }, rate: 1 }] };
/** Each update goes back to Spot about once a second; short leases and late-write window. */
const OUTAGE_HANDLER = {
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 1,
  ledgerLeaseSeconds: 2,
  lateWriteWindowSeconds: 1,
};

describe("a Spot outage", () => {
  const local = testStackPerTest();

  it("dead-letters no good update: each order ends holding its newest, and updates for unknown orders are dead-lettered as 404 once Spot is back", async () => {
    // Prepare: 10 orders with two updates each and 4 updates for orders Spot does not have, shuffled;
    // two pollers; Spot answers 500 in its envelope to every request for 15 s.
    const known = Array.from({ length: 10 }, (_, i) => orderId(i + 1));
    const unknown = [901, 902, 903, 904].map(orderId);
    const updates: TestUpdate[] = [
      ...known.flatMap((id) =>
        [1, 2].map((k) => ({ publicId: id, metadata: { v: `${id}.${k}` }, issuedAt: at(k) })),
      ),
      ...unknown.map((id) => ({ publicId: id, metadata: { v: `${id}.1` }, issuedAt: at(1) })),
    ];
    const dice = seededDice(21);
    updates.sort(() => dice() - 0.5);
    const { sqs, queues, sandbox } = await local.start({
      sandbox: {
        seedCount: known.length,
        faults: SPOT_DOWN,
      },
      handler: OUTAGE_HANDLER,
      eventSource: { pollers: 2 },
    });

    // Act: the outage, then a healthy Spot.
    await sendBodies(sqs, queues.queueUrl, updates);
    await sleep(OUTAGE_MS);
    sandbox.setFaults({});
    const drained = await local.stack?.waitUntilDrained({ timeoutMs: 20_000 }).then(
      () => true,
      () => false,
    );
    await sandbox.settled();

    // Assess
    const deadLetters = await deadLetterSummaries(sqs, queues.dlqUrl);
    expect({
      drained,
      held: Object.fromEntries(known.map((id) => [id, sandbox.metadataOf(id)])),
      deadLetters: deadLetters.map(({ publicId, reasonClass, status }) => ({
        publicId,
        reasonClass,
        status,
      })),
    }).toStrictEqual({
      drained: true,
      held: Object.fromEntries(known.map((id) => [id, { v: `${id}.2` }])),
      deadLetters: unknown.map((publicId) => ({ publicId, reasonClass: "permanent", status: 404 })),
    });
  }, 60_000);
});

/** How long Spot answers 500 to everything. */
const OUTAGE_MS = 15_000;

describe("a Spot outage, message by message", () => {
  const local = testStackPerTest();

  it("does not count against an update: each is called at Spot more often than its queue allows receives, and none is exhausted", async () => {
    // Prepare: four orders, one update each, on a queue that dead-letters on the 3rd receive; Spot
    // answers 500 to everything for 8 s (each update is sent to Spot about once a second).
    const ids = [1, 2, 3, 4].map(orderId);
    const { sqs, queues, sandbox } = await local.start({
      queues: { maxReceiveCount: 3 },
      sandbox: {
        seedCount: ids.length,
        faults: SPOT_DOWN,
      },
      handler: OUTAGE_HANDLER,
    });

    // Act: the outage, then a healthy Spot.
    await sendBodies(
      sqs,
      queues.queueUrl,
      ids.map((publicId) => ({ publicId, metadata: { v: publicId }, issuedAt: at(1) })),
    );
    // (or until one is dead-lettered: a handler that counts the outage against it stops there)
    const calledOften = () => ids.every((id) => sandbox.requests.filter((r) => r.publicId === id).length > 3);
    await waitFor(
      async () => calledOften() || (await messageCount(sqs, queues.dlqUrl)) > 0,
      60_000,
      "each update called at Spot more often than 3 receives",
    );
    sandbox.setFaults({});
    await local.stack?.waitUntilDrained({ timeoutMs: 60_000 });

    // Assess: every update applied, none exhausted by the outage's failures.
    expect({
      held: ids.map((id) => sandbox.metadataOf(id)),
      deadLetters: await deadLetterSummaries(sqs, queues.dlqUrl),
    }).toStrictEqual({ held: ids.map((id) => ({ v: id })), deadLetters: [] });
  }, 120_000);
});
