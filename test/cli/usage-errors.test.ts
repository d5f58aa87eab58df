/**
 * A usage error (an empty value, a number out of range, an unknown flag, a typo in a value, an
 * unknown command) is the one line that says what is wrong and where to read more, on stderr with
 * exit code 1: never the whole help (40-odd lines) after it. Nothing is read before the arguments
 * are checked, so no queue is needed here. The table is parsed in this process by the program the
 * bin runs (lib/cli/program.ts; a process costs ~0.25 s of CPU to start); a few cases run as a
 * process too, and must print exactly what the program does here.
 */
import { tmpdir } from "node:os";
import { type Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { spotMetaProgram } from "../../lib/cli/program.ts";
import { type CliRun, spotMeta } from "../support/spot-meta-cli.ts";

/** `spot-meta <args>` parsed in this process: its exit code and what it wrote. */
async function parsed(args: string[]): Promise<CliRun> {
  const program = await spotMetaProgram(args[0]);
  const run: CliRun = { code: 0, stdout: "", stderr: "" };
  const capture = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => {
        run.stdout += text;
      },
      writeErr: (text) => {
        run.stderr += text;
      },
    });
    for (const sub of command.commands) capture(sub);
  };
  capture(program);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    run.code = error.exitCode;
  }
  return run;
}

const PEEK = "spot-meta dlq peek";
const PEEK_HINT = "(see spot-meta dlq peek --help)";

describe("a usage error", () => {
  it.each([
    [
      ["--public-id", ""],
      "option '--public-id <id>' argument '' is invalid. has an empty value (an unset variable? a stray comma?)",
    ],
    [
      ["--max", "-1"],
      "option '--max <n>' argument '-1' is invalid. must be a whole number, at least 1 and at most 20000",
    ],
    [["--limt", "5"], "unknown option '--limt' (Did you mean --limit?)"],
    [
      ["--reason-class", "permanant"],
      `option '--reason-class <class>' argument 'permanant' is invalid. "permanant" is not a reason class: use one of invalid, permanent, exhausted, unclassified`,
    ],
  ])("dlq peek %j prints its line and a hint to the command's help, not the help", async (args, line) => {
    const run = await parsed(["dlq", "peek", ...args]);

    expect(run).toStrictEqual({ code: 1, stdout: "", stderr: `${PEEK}: ${line} ${PEEK_HINT}\n` });
  });

  it("of another command names that command's help", async () => {
    const run = await parsed(["import", "orders.csv", "--concurrency", "0"]);

    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr:
        "spot-meta import: option '--concurrency <n>' argument '0' is invalid. must be a positive whole number (see spot-meta import --help)\n",
    });
  });

  it("an unknown command names the program's help", async () => {
    const run = await spotMeta(["dlqq"], { cwd: tmpdir() }).done;

    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr: "spot-meta: unknown command 'dlqq' (Did you mean dlq?) (see spot-meta --help)\n",
    });
  });

  it("an unknown dlq command names the dlq help", async () => {
    const run = await parsed(["dlq", "peak"]);

    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr: "spot-meta dlq: unknown command 'peak' (see spot-meta dlq --help)\n",
    });
  });
});

describe("as a process", () => {
  it.each([[["dlq", "peek", "--limt", "5"]], [["import", "orders.csv", "--queue-url", ""]]])(
    "%j exits and prints exactly what the program parsed here does",
    async (args) => {
      const spawned = await spotMeta(args, { cwd: tmpdir() }).done;

      expect(spawned).toStrictEqual(await parsed(args));
      expect(spawned.code).toBe(1);
    },
  );
});

describe("spot-meta dlq alone", () => {
  it("prints the dlq help on stdout, exit 0: it is a question, not an error", async () => {
    const run = await spotMeta(["dlq"], { cwd: tmpdir() }).done;

    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^Usage: spot-meta dlq /);
    for (const command of ["stats", "peek", "export", "replay", "redrive", "purge"]) {
      expect(run.stdout).toContain(`  ${command} [options]`);
    }
  });
});

describe("an empty target or ledger value (an unset variable)", () => {
  it.each([
    [["import", "orders.csv", "--queue-url", ""], "import", "--queue-url <url>"],
    [["import-status", "imp-1", "--dlq-url", ""], "import-status", "--dlq-url <url>"],
    [["verify", "--ledger", "--ledger-table", ""], "verify", "--ledger-table <name>"],
    [["worker", "--endpoint-url", ""], "worker", "--endpoint-url <url>"],
    [["smoke", "--public-id", "O1", "--outputs", ""], "smoke", "--outputs <file>"],
    [["dlq", "stats", "--region", " "], "dlq stats", "--region <region>"],
  ])("%j is refused in one line by every command, before anything is read", async (args, name, option) => {
    const run = await parsed(args);

    const value = args.at(-1);
    expect(run).toStrictEqual({
      code: 1,
      stdout: "",
      stderr: `spot-meta ${name}: option '${option}' argument '${value}' is invalid. must not be empty (an unset variable?) (see spot-meta ${name} --help)\n`,
    });
  });
});
