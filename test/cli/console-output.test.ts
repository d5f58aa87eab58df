import { afterEach, describe, expect, it, vi } from "vitest";
import { consoleOutput } from "../../lib/cli/shared/console-output.ts";
import { terminal } from "../support/terminal.ts";

const line = (fields: Record<string, unknown>) =>
  `${JSON.stringify({ level: "info", time: "2026-11-29T18:00:00.000Z", msg: "message outcome", ...fields })}\n`;

afterEach(() => vi.useRealTimers());

describe("the handler's log lines on a terminal", () => {
  it("counts the outcomes on a status line, shows a dead letter in one line, and sums up once the queue is quiet", () => {
    vi.useFakeTimers();
    const { stream, text } = terminal();
    const output = consoleOutput({ json: false, stream });

    output.destination.write(line({ outcome: "applied", publicId: "O1", receiveCount: 1 }));
    output.destination.write(
      line({
        level: "warn",
        outcome: "dead-lettered",
        publicId: "Z1",
        reasonClass: "permanent",
        status: 404,
        reason: "Spot answered 404",
        receiveCount: 1,
      }),
    );
    vi.advanceTimersByTime(11_000);

    expect(text()).toContain("applied 1 · superseded 0 · dead-lettered 0 · handed back 0");
    expect(text()).toMatch(/WARN: dead-lettered Z1: Spot answered 404 \(receive 1\)\n/);
    expect(text()).toContain("  applied        1\n");
    expect(text()).toContain("    1 × permanent 404\n");
    expect(text()).not.toContain('"outcome"');
    output.close();
  });

  it("shows every outcome in one line when asked (spot-meta dev), applied ones too", () => {
    const { stream, text } = terminal();
    const output = consoleOutput({ json: false, stream, everyOutcome: true });

    output.destination.write(
      line({
        outcome: "applied",
        publicId: "O0000021",
        receiveCount: 1,
        decidedAt: "2026-11-29T18:00:00.000Z",
      }),
    );
    output.destination.write(line({ level: "debug", msg: "not an outcome" }));

    expect(text()).toMatch(/\] INFO: applied O0000021 \(receive 1\)\n/);
    expect(text()).not.toContain("not an outcome");
    output.close();
  });

  it("passes JSON lines through untouched when asked, or when the output is not a terminal", () => {
    const { stream, text } = terminal();
    const applied = line({ outcome: "applied", publicId: "O1" });
    consoleOutput({ json: true, stream }).destination.write(applied);
    expect(text()).toBe(applied);
  });
});
