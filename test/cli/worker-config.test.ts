import { describe, expect, it } from "vitest";
import { workerConfig } from "../../lib/cli/local/worker-command.ts";
import { readConfig, toEnvironment } from "../../lib/lambda/config.ts";
import { ConfigError } from "../../lib/lambda/errors.ts";

const SOURCE = "http://127.0.0.1:4566/000000000000/orders";
const config = (dlqUrl: string) =>
  readConfig(toEnvironment({ dlqUrl, spotToken: "t", spotBaseUrl: "http://localhost:1" }));

describe("the worker's settings for its queue", () => {
  it("take maxReceiveCount from the queue's redrive policy, so the two cannot drift", () => {
    const redrive = JSON.stringify({
      deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:orders-dlq",
      maxReceiveCount: 8,
    });
    expect(workerConfig(config(`${SOURCE}-dlq`), SOURCE, redrive).maxReceiveCount).toBe(8);
    expect(workerConfig(config(`${SOURCE}-dlq`), SOURCE, undefined).maxReceiveCount).toBe(5);
  });

  it("refuse a DLQ that is the source queue itself", () => {
    const act = () => workerConfig(config(SOURCE), SOURCE, undefined);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/SPOT_META_DLQ_URL: is the source queue itself/);
  });

  it("refuse a DLQ on another endpoint than the source queue (one client serves both)", () => {
    const awsDlq = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq";

    const act = () => workerConfig(config(awsDlq), SOURCE, undefined);

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(
      `SPOT_META_DLQ_URL: ${awsDlq} is on another endpoint than the source queue ${SOURCE}`,
    );
    expect(
      workerConfig(config("http://localhost:4566/000000000000/orders-dlq"), SOURCE, undefined).dlqUrl,
    ).toBe("http://localhost:4566/000000000000/orders-dlq");
  });
});
