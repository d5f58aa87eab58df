/**
 * A FIFO DLQ hands out a message group's next message only once the one before it is deleted (or,
 * on fauxqs, one message per group per receive): 16 messages of one order look like one. The
 * read-only commands say their read was incomplete, against SQS's count; purge and replay read in
 * rounds, each unlocking the groups the round before deleted from, so they reach every message.
 */
import { afterEach, describe, expect, it } from "vitest";
import { dlqStats } from "../../../lib/tools/dlq/inspect.ts";
import { purgeMessages } from "../../../lib/tools/dlq/purge.ts";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import { type BareDlq, startBareDlq } from "./bare-dlq.ts";
import { runDlq } from "./support.ts";

let bare: BareDlq | undefined;
afterEach(async () => {
  await bare?.stop();
  bare = undefined;
});

/** 16 messages for order P0, then one each for P1…P4. */
async function startFifoDlq(): Promise<BareDlq> {
  return startBareDlq({ count: 20, fifo: true, publicIdOf: (n) => (n < 16 ? "P0" : `P${n - 15}`) });
}

function issuedAtOf(dlq: BareDlq, publicId: string): string[] {
  return [...dlq.seeded.values()].filter((m) => m.publicId === publicId).map((m) => m.issuedAt);
}

describe("a FIFO DLQ with several messages for one order", () => {
  it("stats says its read is incomplete, against SQS's count, and leaves every message visible", async () => {
    // Prepare
    bare = await startFifoDlq();
    // Act
    const stats = await dlqStats({ sqs: bare.proxy.client(), dlqUrl: bare.sqs.dlqUrl, waitTimeSeconds: 0 });
    const cli = await runDlq(undefined, ["stats"], bare.targetFlags);
    // Assess
    expect(stats).toMatchObject({ approximateTotal: 20, truncated: true });
    expect(stats.read).toBeLessThan(20);
    expect(cli.out).toMatch(/20 messages \(SQS's approximate count\); \d+ read/);
    expect(cli.out).toContain("FIFO");
    expect((await bare.dlq()).hiddenForMs).toStrictEqual([]);
  });

  it("purge --public-id P0 --yes removes all 16, and nothing of another order", async () => {
    bare = await startFifoDlq();

    const summary = await purgeMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      filter: { publicIds: ["P0"] },
      confirm: true,
      waitTimeSeconds: 0,
    });

    const left = await bare.dlq();
    expect(summary).toMatchObject({ removed: 16, notRemoved: 0 });
    expect([...left.issuedAt.values()].sort()).toStrictEqual(
      ["P1", "P2", "P3", "P4"].flatMap((id) => issuedAtOf(bare as BareDlq, id)),
    );
    expect(left.hiddenForMs).toStrictEqual([]);
  });

  it("replay reaches every message of the order and sends them back in their order", async () => {
    bare = await startFifoDlq();

    const summary = await replayMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      sourceQueueUrl: bare.sqs.queueUrl,
      filter: { publicIds: ["P0"] },
      ratePerSecond: 500,
      waitTimeSeconds: 0,
    });

    expect(summary.replayed).toHaveLength(16);
    expect([...(await bare.source()).issuedAt.values()]).toStrictEqual(issuedAtOf(bare, "P0"));
    expect((await bare.dlq()).issuedAt.size).toBe(4);
  });
});
