/**
 * A queue URL a person types wins over the queues a running `spot-meta dev` announces, and the SQS
 * client goes where the typed URL points: fauxqs answers for a queue by its name whatever host the
 * URL names, so a client left on the dev stack's endpoint would read the local queue of that name.
 * A pair of queues on two endpoints (a local source queue with another stack's DLQ, or an AWS one)
 * is refused in one line naming both, before any call.
 *
 * Two real fauxqs servers hold queues of the same names: the dev stack's (announced in the working
 * directory's `.spot-meta/dev.json`, as `spot-meta dev` writes it) and another stack's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDevState } from "../../lib/local/dev-state.ts";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { type CliRun, spotMeta } from "../support/spot-meta-cli.ts";

const AWS_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/spot-order-metadata";
/** Nothing listens on port 1. */
const NOWHERE_DLQ = "http://127.0.0.1:1/000000000000/spot-order-metadata-dlq";

let dev: EmbeddedSqs;
let other: EmbeddedSqs;
let cwd: string;

beforeAll(async () => {
  [dev, other] = await Promise.all([startEmbeddedSqs(), startEmbeddedSqs()]);
  await deadLetter(dev, ["LOCAL1"]);
  await deadLetter(other, ["OTHER1", "OTHER2"]);
  cwd = mkdtempSync(join(tmpdir(), "explicit-queues-"));
  writeDevState(
    {
      pid: process.pid,
      sqsEndpoint: dev.endpoint,
      region: dev.region,
      queueUrl: dev.queueUrl,
      dlqUrl: dev.dlqUrl,
      sandboxUrl: "http://127.0.0.1:9",
      sandboxToken: "sandbox-token-not-a-secret",
    },
    join(cwd, ".spot-meta", "dev.json"),
  );
});
afterAll(async () => {
  await Promise.all([dev?.stop(), other?.stop()]);
  if (cwd !== undefined) rmSync(cwd, { recursive: true, force: true });
});

async function deadLetter(sqs: EmbeddedSqs, publicIds: string[]): Promise<void> {
  const client = sqs.client();
  for (const publicId of publicIds) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: sqs.dlqUrl,
        MessageBody: JSON.stringify({ publicId, metadata: {}, issuedAt: "2026-11-27T10:00:00.000Z" }),
      }),
    );
  }
  client.destroy();
}

/** `spot-meta dlq <args>` beside the running dev stack, with no AWS configuration. */
function dlq(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spotMeta(["dlq", ...args, "--hold", "1"], { cwd, env: { HOME: cwd, ...env } }).done;
}

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);

describe("a DLQ URL typed beside a running spot-meta dev", () => {
  it("on an endpoint where nothing listens fails, naming the URL, and lists nothing of the local DLQ", async () => {
    const run = await dlq(["peek", "--dlq-url", NOWHERE_DLQ]);

    expect(run.code).toBe(1);
    expect(lastLine(run.stderr)).toMatch(
      new RegExp(`^spot-meta dlq peek: cannot reach the queue ${NOWHERE_DLQ} \\(ECONNREFUSED`),
    );
    expect(run.stdout).not.toContain("LOCAL1");
  });

  it("on another stack's endpoint reads that DLQ, not the local one of the same name", async () => {
    const run = await dlq(["peek", "--dlq-url", other.dlqUrl]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`DLQ ${other.dlqUrl}; queues from --dlq-url\n`);
    expect(run.stdout).toContain("OTHER1");
    expect(run.stdout).toContain("OTHER2");
    expect(run.stdout).not.toContain("LOCAL1");
  });

  it("on the dev stack's endpoint is paired with its source queue, and the line says where each came from", async () => {
    const run = await dlq(["stats", "--dlq-url", dev.dlqUrl]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `DLQ ${dev.dlqUrl} (source queue ${dev.queueUrl}); DLQ from --dlq-url, source queue from spot-meta dev\n`,
    );
    expect(run.stdout).toContain("spot-order-metadata-dlq: 1 message");
  });

  it("is not paired with the dev stack's source queue on another endpoint: replay refuses, naming both", async () => {
    const run = await dlq(["replay", "--dlq-url", other.dlqUrl]);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `spot-meta dlq replay: refusing a pair of queues on two endpoints: the DLQ ${other.dlqUrl} (from --dlq-url) and the source queue ${dev.queueUrl} (from spot-meta dev); name the two queues of one stack with --queue-url and --dlq-url\n`,
    );
    expect(await messagesIn(other)).toBe(2);
    expect(await messagesIn(dev)).toBe(1);
  });

  it("an AWS DLQ is not paired with the dev stack's source queue either", async () => {
    const run = await dlq([
      "purge",
      "--yes",
      "--all",
      "--dlq-url",
      `${AWS_QUEUE}-dlq`,
      "--queue-url",
      dev.queueUrl,
    ]);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `spot-meta dlq purge: refusing a pair of queues on two endpoints: the DLQ ${AWS_QUEUE}-dlq (from --dlq-url) and the source queue ${dev.queueUrl} (from --queue-url); name the two queues of one stack with --queue-url and --dlq-url\n`,
    );
    expect(await messagesIn(dev)).toBe(1);
  });
});

describe("a source queue typed beside a running spot-meta dev", () => {
  it("is reached at its own endpoint, without --endpoint-url, and its DLQ found there", async () => {
    const run = await dlq(["stats", "--queue-url", other.queueUrl]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `DLQ ${other.dlqUrl} (source queue ${other.queueUrl}); queues from --queue-url\n`,
    );
    expect(run.stdout).toContain("spot-order-metadata-dlq: 2 messages");
  });

  it("in AWS is not paired with a local DLQ (SPOT_META_QUEUE_URL and --dlq-url): refused, naming both", async () => {
    const run = await dlq(["replay", "--dlq-url", dev.dlqUrl], { SPOT_META_QUEUE_URL: AWS_QUEUE });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `spot-meta dlq replay: refusing a pair of queues on two endpoints: the DLQ ${dev.dlqUrl} (from --dlq-url) and the source queue ${AWS_QUEUE} (from SPOT_META_QUEUE_URL); name the two queues of one stack with --queue-url and --dlq-url\n`,
    );
    expect(await messagesIn(dev)).toBe(1);
  });
});

/** The DLQ's messages, visible or not, as SQS counts them. */
async function messagesIn(sqs: EmbeddedSqs): Promise<number> {
  const client = sqs.client();
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: sqs.dlqUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  client.destroy();
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}
