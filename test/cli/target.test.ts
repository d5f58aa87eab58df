// lib/cli/shared/target.ts: how every command finds its queue.
import { afterEach, describe, expect, it } from "vitest";
import { regionOfQueueUrl, sameEndpoint } from "../../lib/cli/shared/queue-endpoint.ts";
import { resolveTarget, TargetNotFoundError } from "../../lib/cli/shared/target.ts";
import { writeDevState } from "../../lib/local/dev-state.ts";
import { type TempDir, tempDir } from "../tools/csv-import/support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

const AWS_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/spot-order-metadata";

describe("resolveTarget", () => {
  it("takes --queue-url first, then SPOT_META_QUEUE_URL", () => {
    const env = {
      SPOT_META_QUEUE_URL: "https://sqs.us-east-2.amazonaws.com/1/from-env",
      SPOT_META_DLQ_URL: "dlq",
    };
    expect(resolveTarget({ queueUrl: AWS_QUEUE, env })).toStrictEqual({
      queueUrl: AWS_QUEUE,
      dlqUrl: "dlq",
      endpoint: undefined,
      region: undefined,
      origin: "--queue-url",
      dlqOrigin: "SPOT_META_DLQ_URL",
      localCredentials: false,
    });
    expect(resolveTarget({ env }).origin).toBe("SPOT_META_QUEUE_URL");
    expect(
      resolveTarget({ queueUrl: "http://127.0.0.1:9/q", endpointUrl: "http://127.0.0.1:9", env: {} }),
    ).toMatchObject({
      endpoint: "http://127.0.0.1:9",
      localCredentials: true,
    });
  });

  it("reads QueueUrl and DlqUrl from a cdk outputs file", () => {
    dir = tempDir();
    const outputs = dir.write(
      "out.json",
      JSON.stringify({ SpotStack: { QueueUrl: AWS_QUEUE, DlqUrl: `${AWS_QUEUE}-dlq` } }),
    );
    expect(resolveTarget({ outputs, env: {} })).toMatchObject({
      queueUrl: AWS_QUEUE,
      dlqUrl: `${AWS_QUEUE}-dlq`,
      origin: "--outputs",
    });
    const empty = dir.write("empty.json", JSON.stringify({ Other: { Bucket: "b" } }));
    expect(() => resolveTarget({ outputs: empty, env: {} })).toThrow(/no stack with a QueueUrl output/);
  });

  it("falls back to the local stack of a running spot-meta dev", () => {
    dir = tempDir();
    const devStateFile = `${dir.path}/dev.json`;
    writeDevState(
      {
        pid: process.pid,
        sqsEndpoint: "http://127.0.0.1:4566",
        region: "us-east-1",
        queueUrl: "http://127.0.0.1:4566/000000000000/q",
        dlqUrl: "http://127.0.0.1:4566/000000000000/q-dlq",
        sandboxUrl: "http://127.0.0.1:4567",
        sandboxToken: "fake-token",
      },
      devStateFile,
    );
    expect(resolveTarget({ env: {}, devStateFile })).toStrictEqual({
      queueUrl: "http://127.0.0.1:4566/000000000000/q",
      dlqUrl: "http://127.0.0.1:4566/000000000000/q-dlq",
      endpoint: "http://127.0.0.1:4566",
      region: "us-east-1",
      origin: "spot-meta dev",
      dlqOrigin: "spot-meta dev",
      localCredentials: true,
    });
  });

  it("explains the options when nothing names a queue", () => {
    dir = tempDir();
    expect(() => resolveTarget({ env: {}, devStateFile: `${dir?.path}/none.json` })).toThrow(
      TargetNotFoundError,
    );
    expect(() => resolveTarget({ env: {}, devStateFile: `${dir?.path}/none.json` })).toThrow(
      /--queue-url URL/,
    );
  });

  it("reaches a named queue at its own URL's endpoint unless an endpoint is named", () => {
    const local = "http://127.0.0.1:9/000000000000/q";

    expect(resolveTarget({ queueUrl: local, env: {} })).toMatchObject({
      endpoint: "http://127.0.0.1:9",
      localCredentials: true,
    });
    expect(resolveTarget({ queueUrl: AWS_QUEUE, env: {} }).endpoint).toBeUndefined();
    expect(resolveTarget({ queueUrl: local, endpointUrl: "http://localhost:8", env: {} }).endpoint).toBe(
      "http://localhost:8",
    );
    expect(
      resolveTarget({ queueUrl: local, env: { AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:7" } }).endpoint,
    ).toBe("http://127.0.0.1:7");
  });

  it("reads the region from an AWS queue URL", () => {
    expect(regionOfQueueUrl(AWS_QUEUE)).toBe("eu-west-1");
    expect(regionOfQueueUrl("https://eu-west-2.queue.amazonaws.com/123456789012/q")).toBe("eu-west-2");
    expect(regionOfQueueUrl("http://127.0.0.1:9/q")).toBeUndefined();
  });
});

describe("sameEndpoint", () => {
  it.each([
    [AWS_QUEUE, `${AWS_QUEUE}-dlq`, true],
    [AWS_QUEUE, "https://eu-west-1.queue.amazonaws.com/123456789012/q-dlq", true],
    [AWS_QUEUE, "https://sqs.us-east-1.amazonaws.com/123456789012/q-dlq", false],
    ["http://127.0.0.1:9/0/q", "http://localhost:9/0/q-dlq", true],
    ["http://127.0.0.1:9/0/q", "http://127.0.0.1:1/0/q-dlq", false],
    ["http://127.0.0.1:9/0/q", `${AWS_QUEUE}-dlq`, false],
  ])("%s and %s: %s", (a, b, same) => {
    expect(sameEndpoint(a, b)).toBe(same);
  });
});
