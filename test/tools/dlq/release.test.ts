/**
 * What a command read is given back on every way out: a receive that fails mid-read (expired
 * credentials, throttling past the SDK's retries), a crash of the tool's own code, the end of a
 * run. And while a command works, its messages are held briefly and extended as it goes, never for
 * `max / rate` up front.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { exportMessages } from "../../../lib/tools/dlq/export.ts";
import { dlqStats, peekMessages } from "../../../lib/tools/dlq/inspect.ts";
import { purgeMessages } from "../../../lib/tools/dlq/purge.ts";
import { replayMessages } from "../../../lib/tools/dlq/replay.ts";
import type { InjectedFault } from "../../support/sqs-proxy.ts";
import { type BareDlq, startBareDlq } from "./bare-dlq.ts";

let bare: BareDlq | undefined;
afterEach(async () => {
  await bare?.stop();
  bare = undefined;
});

const OUT = `/tmp/dlq-release-${process.pid}.jsonl`;

type Run = (sqs: SQSClient, queues: { dlqUrl: string; sourceQueueUrl: string }) => Promise<unknown>;

const COMMANDS: Record<string, Run> = {
  stats: (sqs, { dlqUrl }) => dlqStats({ sqs, dlqUrl, waitTimeSeconds: 0 }),
  peek: (sqs, { dlqUrl }) => peekMessages({ sqs, dlqUrl, filter: {}, limit: 100, waitTimeSeconds: 0 }),
  export: (sqs, { dlqUrl }) => exportMessages({ sqs, dlqUrl, filter: {}, out: OUT, waitTimeSeconds: 0 }),
  purge: (sqs, { dlqUrl }) => purgeMessages({ sqs, dlqUrl, filter: {}, confirm: true, waitTimeSeconds: 0 }),
  replay: (sqs, queues) => replayMessages({ sqs, ...queues, filter: {}, waitTimeSeconds: 0 }),
};

const EXPIRED: InjectedFault = { status: 403, type: "ExpiredTokenException" };

describe("a receive that fails mid-read", () => {
  for (const [name, run] of Object.entries(COMMANDS)) {
    it(`${name}: the 20 messages already read are visible again at once`, async () => {
      // Prepare: two receives of ten succeed, the third fails.
      bare = await startBareDlq({ count: 25 });
      bare.fault = (action, call) => (action === "ReceiveMessage" && call === 3 ? EXPIRED : undefined);
      // Act
      const outcome = run(bare.proxy.client(), {
        dlqUrl: bare.sqs.dlqUrl,
        sourceQueueUrl: bare.sqs.queueUrl,
      });
      // Assess
      await expect(outcome).rejects.toMatchObject({ name: "ExpiredTokenException" });
      const dlq = await bare.dlq();
      expect(dlq.issuedAt.size).toBe(25);
      expect(dlq.hiddenForMs).toStrictEqual([]);
    });
  }
});

describe("holding", () => {
  it("a replay at --rate 1 holds what it reads for seconds, not for max / rate", async () => {
    bare = await startBareDlq({ count: 3 });

    await replayMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      sourceQueueUrl: bare.sqs.queueUrl,
      filter: { publicIds: ["P0"] },
      ratePerSecond: 1,
      waitTimeSeconds: 0,
    });

    const holds = bare.proxy.calls
      .filter((call) => call.action === "ReceiveMessage")
      .map((call) => call.body.VisibilityTimeout);
    expect(holds.length).toBeGreaterThan(0);
    for (const hold of holds) expect(hold).toBeLessThanOrEqual(30);
  });

  it("extends the hold while a replay runs longer than it, so no message is read or sent twice", async () => {
    bare = await startBareDlq({ count: 6 });

    const summary = await replayMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      sourceQueueUrl: bare.sqs.queueUrl,
      filter: {},
      ratePerSecond: 6,
      waitTimeSeconds: 0,
      holdSeconds: 1,
    });

    const extends_ = bare.proxy.calls.filter(
      (call) =>
        call.action === "ChangeMessageVisibilityBatch" &&
        (call.body.Entries as Array<{ VisibilityTimeout: number }>).every(
          (entry) => entry.VisibilityTimeout > 0,
        ),
    );
    expect(summary.replayed).toHaveLength(6);
    expect(extends_.length).toBeGreaterThan(0);
    expect([...(await bare.source()).issuedAt.values()].sort()).toStrictEqual(
      [...bare.seeded.values()].map((message) => message.issuedAt).sort(),
    );
    expect((await bare.dlq()).issuedAt.size).toBe(0);
  });

  it("gives back what it read when the tool's own code throws", async () => {
    bare = await startBareDlq({ count: 12 });

    const outcome = replayMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      sourceQueueUrl: bare.sqs.queueUrl,
      filter: {},
      waitTimeSeconds: 0,
      onProgress: () => {
        throw new TypeError("a bug in the progress line");
      },
    });

    await expect(outcome).rejects.toThrow(TypeError);
    const dlq = await bare.dlq();
    expect(dlq.hiddenForMs).toStrictEqual([]);
    expect(dlq.issuedAt.size + (await bare.source()).issuedAt.size).toBeGreaterThanOrEqual(12);
  });
});
