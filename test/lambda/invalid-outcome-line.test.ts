/**
 * The outcome line of a message that breaks the contract names its order when the body's publicId is
 * valid (the rest of the body being wrong), and no order when the id itself is the problem; on a
 * terminal (`spot-meta dev`, `worker`) the line then reads "dead-lettered O0000001: …", not "(no id)".
 */
import { afterEach, describe, expect, it } from "vitest";
import { consoleOutput } from "../../lib/cli/shared/console-output.ts";
import { startHandlerOnQueues } from "../support/handler-on-queues.ts";
import { orderId } from "../support/queues.ts";
import { sqsRecord } from "../support/records.ts";
import { terminal } from "../support/terminal.ts";

let stop: (() => Promise<void>) | undefined;
afterEach(() => stop?.());

const context = { getRemainingTimeInMillis: () => 30_000 };

describe("the outcome line of an invalid message", () => {
  it("names the order when the publicId is valid, and only then", async () => {
    // Prepare: a bad issuedAt under a valid id, a bad id, a body that is not JSON, and a good update
    const started = await startHandlerOnQueues();
    stop = started.stop;
    const badTime = sqsRecord({ publicId: orderId(1), metadata: {}, issuedAt: "2026-12-07T10:16:37.827100" });
    const badId = sqsRecord({ publicId: "a/b", metadata: {} });
    const notJson = sqsRecord("{not json");
    const good = sqsRecord({ publicId: orderId(2), metadata: { clinic: "east" } });

    // Act
    await started.handler({ Records: [badTime, badId, notJson, good] }, context);

    // Assess
    const outcomes = started.logs
      .entries()
      .filter((entry) => entry.msg === "message outcome")
      .map((entry) => [entry.messageId, entry.outcome, entry.publicId]);
    expect(outcomes).toStrictEqual([
      [badTime.messageId, "dead-lettered", orderId(1)],
      [badId.messageId, "dead-lettered", undefined],
      [notJson.messageId, "dead-lettered", undefined],
      [good.messageId, "applied", orderId(2)],
    ]);
    const shown = onATerminal(started.logs.lines);
    expect(shown).toMatch(new RegExp(`WARN: dead-lettered ${orderId(1)}: issuedAt: has no offset`));
    expect(shown).toMatch(/WARN: dead-lettered \(no id\): publicId: may hold only/);
  });
});

/** What `spot-meta dev` shows of these log lines on a terminal. */
function onATerminal(lines: string[]): string {
  const { stream, raw } = terminal();
  const output = consoleOutput({ json: false, stream });
  for (const line of lines) output.destination.write(line);
  output.close();
  return raw();
}
