import { afterAll, beforeAll, expect, it } from "vitest";
import { type AttemptAnswer, SpotClient } from "../../../lib/lambda/spot/client.ts";
import { type SpotSandbox, startSpotSandbox } from "../../../lib/local/sandbox/spot-sandbox.ts";

let sandbox: SpotSandbox;
beforeAll(async () => {
  sandbox = await startSpotSandbox({ orders: ["O1"] });
});
afterAll(() => sandbox.close());

it("tells each attempt's answer, retries included, with a 429's Retry-After, for a pace to learn from", async () => {
  // Prepare: a 429 asking for 1 s, then a 503, then success.
  sandbox.setFaults({
    script: [
      { fault: { kind: "status", status: 429, retryAfter: "1" } },
      { fault: { kind: "status", status: 503 } },
    ],
  });
  const spot = new SpotClient({
    baseUrl: sandbox.url,
    token: () => sandbox.token,
    timeoutMs: 2_000,
    retryLimit: 2,
    retryMaxDelayMs: 2_000,
    retryBaseDelayMs: 10,
  });
  const answers: AttemptAnswer[] = [];
  const before = Date.now();

  // Act
  const outcome = await spot.updateMetadata("O1", { n: "1" }, { onAnswer: (answer) => answers.push(answer) });

  // Assess
  expect(outcome.kind).toBe("applied");
  expect(answers.map(({ status, retryAfterMs }) => ({ status, retryAfterMs }))).toStrictEqual([
    { status: 429, retryAfterMs: 1_000 },
    { status: 503, retryAfterMs: undefined },
    { status: 200, retryAfterMs: undefined },
  ]);
  const sent = answers.map((answer) => answer.sentAt);
  expect(sent).toStrictEqual([...sent].sort((a, b) => a - b));
  expect(sent[0]).toBeGreaterThanOrEqual(before);
});
