/**
 * A usage error (an empty value, a number out of range, an unknown flag, a typo in a value, an
 * unknown command) is the one line that says what is wrong and where to read more, on stderr with
 * exit code 1: never the whole help (40-odd lines) after it. Nothing is read before the arguments
 * are checked, so no queue is needed here.
 */
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { spotMeta } from "../support/spot-meta-cli.ts";

const PEEK_HINT = "(see spot-meta dlq peek --help)";

describe("a usage error", () => {
  it.each([
    [
      ["--public-id", ""],
      "error: option '--public-id <id>' argument '' is invalid. has an empty value (an unset variable? a stray comma?)",
    ],
    [
      ["--max", "-1"],
      "error: option '--max <n>' argument '-1' is invalid. must be a whole number, at least 1 and at most 20000",
    ],
    [["--limt", "5"], "error: unknown option '--limt'\n(Did you mean --limit?)"],
    [
      ["--reason-class", "permanant"],
      `error: option '--reason-class <class>' argument 'permanant' is invalid. "permanant" is not a reason class: use one of invalid, permanent, exhausted, unclassified`,
    ],
  ])("dlq peek %j prints its line and a hint to the command's help, not the help", async (args, line) => {
    const run = await spotMeta(["dlq", "peek", ...args], { cwd: tmpdir() }).done;

    expect(run).toStrictEqual({ code: 1, stdout: "", stderr: `${line}\n${PEEK_HINT}\n` });
  });

  it("of another command names that command's help", async () => {
    const run = await spotMeta(["import", "orders.csv", "--concurrency", "0"], { cwd: tmpdir() }).done;

    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: option '--concurrency <n>' argument '0' is invalid. must be a positive whole number\n(see spot-meta import --help)\n",
    });
  });

  it("an unknown command names the program's help", async () => {
    const run = await spotMeta(["dlqq"], { cwd: tmpdir() }).done;

    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr: "error: unknown command 'dlqq'\n(Did you mean dlq?)\n(see spot-meta --help)\n",
    });
  });
});
