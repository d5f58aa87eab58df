/**
 * The runner's one error line: a refusal is one line and exit 1; a bug (an error only a mistake in
 * the code throws) is that line, then where it happened, for whoever reports it.
 */
import { describe, expect, it } from "vitest";
import { type CommandIo, runCommand } from "../../lib/cli/shared/runner.ts";

function capture(): { io: CommandIo; err: () => string; code: () => number | undefined } {
  let err = "";
  let code: number | undefined;
  const io: CommandIo = {
    out: () => {},
    err: (text) => {
      err += text;
    },
    setExitCode: (c) => {
      code = c;
    },
    interactive: false,
  };
  return { io, err: () => err, code: () => code };
}

describe("a command that fails", () => {
  it("says why in one line when it refuses", async () => {
    // Prepare
    const run = capture();

    // Act
    await runCommand(run.io, "dlq peek", async () => {
      throw new Error("the DLQ http://127.0.0.1:1/q does not answer");
    });

    // Assess
    expect(run.err()).toBe("spot-meta dlq peek: Error: the DLQ http://127.0.0.1:1/q does not answer\n");
    expect(run.code()).toBe(1);
  });

  it("adds where it happened when it is a bug", async () => {
    // Prepare
    const run = capture();

    // Act
    await runCommand(run.io, "verify", async () => {
      const missing = undefined as unknown as { id: string };
      return missing.id.length;
    });

    // Assess
    const [first, second, ...where] = run.err().trimEnd().split("\n");
    expect(first).toMatch(/^spot-meta verify: TypeError: /);
    expect(second).toBe("a bug in spot-meta; please report it with these lines:");
    expect(where[0]).toMatch(/^\s+at .*runner\.test\.ts/);
    expect(run.code()).toBe(1);
  });
});
