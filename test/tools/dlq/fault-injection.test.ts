/**
 * The guard of the on-call tools: every command that holds or changes DLQ messages (stats, peek,
 * export, purge, replay; redrive's arguments), run through the CLI against fauxqs while SQS calls
 * fail at a random point (one call, or every call from then on: an outage), or with an empty or
 * malformed argument. Afterwards no message is lost, none outside the filter is touched, none stays
 * hidden past the run's hold, and a run that says it is done (exit 0) did all it was asked.
 * Processes killed at a random point are in test/cli/dlq-signals.test.ts.
 *
 * A fixed seed in CI; DLQ_GUARD_SEED=N draws other scenarios (the seed is printed; a failure also
 * prints fast-check's counterexample and path).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { InjectedFault } from "../../support/sqs-proxy.ts";
import { type BareDlq, type SeededMessage, startBareDlq } from "./bare-dlq.ts";
import { violations } from "./invariants.ts";
import { runDlq } from "./support.ts";

const SEED = Number(process.env.DLQ_GUARD_SEED ?? 20261129);
// The CLI's clients read this at their first call: each injected fault is then a failure the tool
// sees (throttling past the SDK's retries), and no run waits out the SDK's backoff. Put back after
// the file: its worker runs other files next.
beforeAll(() => {
  vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
});
afterAll(() => {
  vi.unstubAllEnvs();
});
console.info(`DLQ fault-injection guard: seed ${SEED} (DLQ_GUARD_SEED=${SEED} replays it)`);

const dir = mkdtempSync(join(tmpdir(), "dlq-guard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ERRORS: InjectedFault[] = [
  { status: 403, type: "ExpiredTokenException" },
  { status: 400, type: "ThrottlingException" },
  { status: 500, type: "InternalError" },
];
const ACTIONS = [
  "GetQueueAttributes",
  "ReceiveMessage",
  "ChangeMessageVisibilityBatch",
  "DeleteMessageBatch",
  "SendMessageBatch",
];
const COMMANDS = ["stats", "peek", "export", "purge", "purge-export", "replay"] as const;
const FILTERS: Record<string, { args: string[]; selects: (message: SeededMessage) => boolean }> = {
  all: { args: [], selects: () => true },
  status: { args: ["--status", "404"], selects: (message) => message.status === 404 },
  ids: {
    args: ["--public-id", "P1,P2", "--public-id", "P4"],
    selects: (m) => ["P1", "P2", "P4"].includes(m.publicId),
  },
};

const scenarios = fc.record({
  count: fc.integer({ min: 3, max: 24 }),
  command: fc.constantFrom(...COMMANDS),
  filter: fc.constantFrom(...Object.keys(FILTERS)),
  fault: fc.record({
    action: fc.constantFrom(...ACTIONS),
    call: fc.integer({ min: 1, max: 4 }),
    lasting: fc.boolean(),
    error: fc.constantFrom(...ERRORS),
  }),
});
type Scenario = typeof scenarios extends fc.Arbitrary<infer T> ? T : never;

function argsOf(scenario: Scenario, out: string): string[] {
  const filter = FILTERS[scenario.filter]?.args ?? [];
  const all = scenario.filter === "all" ? ["--all"] : [];
  const args: Record<(typeof COMMANDS)[number], string[]> = {
    stats: ["stats"],
    peek: ["peek", ...filter],
    export: ["export", "--out", out, ...filter],
    purge: ["purge", "--yes", ...all, ...filter],
    "purge-export": ["purge", "--yes", "--export", out, ...all, ...filter],
    replay: ["replay", "--rate", "500", ...filter],
  };
  return [...args[scenario.command], "--hold", "1"];
}

/**
 * Beyond the invariants: an export is owner-only, whatever happened; and a run that exits 0 did all
 * it was asked (a purge removed, a replay moved, an export wrote every selected message).
 */
async function doneAsAsked(
  scenario: Scenario,
  bare: BareDlq,
  selects: (message: SeededMessage) => boolean,
  out: string,
  code: number,
): Promise<string[]> {
  if (existsSync(out) && (statSync(out).mode & 0o777) !== 0o600) return ["the export is readable by others"];
  if (code !== 0) return [];
  const selected = [...bare.seeded].filter(([, message]) => selects(message));
  const dlq = await bare.dlq();
  const replayed = new Set((await bare.source()).issuedAt.values());
  const exported = existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean).length : 0;
  const left = selected.filter(([messageId]) => dlq.issuedAt.has(messageId)).length;
  const expected: Partial<Record<(typeof COMMANDS)[number], Array<[string, number, number]>>> = {
    export: [["exported", exported, selected.length]],
    purge: [["left in the DLQ", left, 0]],
    "purge-export": [
      ["left in the DLQ", left, 0],
      ["exported", exported, selected.length],
    ],
    replay: [
      ["left in the DLQ", left, 0],
      ["replayed", selected.filter(([, message]) => replayed.has(message.issuedAt)).length, selected.length],
    ],
  };
  return (expected[scenario.command] ?? [])
    .filter(([, actual, wanted]) => actual !== wanted)
    .map(([what, actual, wanted]) => `exit 0 but ${actual} ${what}, not ${wanted}`);
}

describe("SQS calls failing at a random point", () => {
  it("lose nothing, touch nothing outside the filter, hide nothing past the hold", async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const bare = await startBareDlq({ count: scenario.count });
        const out = join(dir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
        try {
          const { action, call, lasting, error } = scenario.fault;
          bare.fault = (a, n) => (a === action && (n === call || (lasting && n > call)) ? error : undefined);
          const filter = FILTERS[scenario.filter] ?? { selects: () => true };
          const selects = scenario.command === "stats" ? () => true : filter.selects;

          const run = await runDlq(undefined, argsOf(scenario, out), bare.targetFlags);

          expect([0, 1, 2]).toContain(run.code);
          const problems = [
            ...(await violations(bare, {
              selects,
              mayRemove: scenario.command.startsWith("purge"),
              holdMs: 1_000,
              released: false,
            })),
            ...(await doneAsAsked(scenario, bare, selects, out, run.code)),
          ];
          expect(problems).toStrictEqual([]);
        } finally {
          await bare.stop();
        }
      }),
      { seed: SEED, numRuns: 50, endOnFailure: true },
    );
  }, 60_000);
});

const LIST_VALUES = ["", " ", ",", "P1,,P2", "P1,", "--yes", "-x"];
const INTEGER_VALUES = ["", "0", "-1", "1.5", "x"];
const BAD_VALUES: Record<string, string[]> = {
  "--public-id": LIST_VALUES,
  "--error-type": LIST_VALUES,
  "--reason-class": ["", ",", "bogus", "permanent,"],
  "--status": ["", "40x", "600", "404,", "4o4"],
  "--older-than": ["", "soon", "2", "-1h", "1h junk"],
  "--newer-than": ["", "1x"],
  "--public-ids": ["", "/no/such/file", join(dir, "empty-ids.txt")],
  "--max": [...INTEGER_VALUES, "20001", "1e9"],
  "--hold": [...INTEGER_VALUES, "601"],
  "--queue-url": ["", " "],
  "--dlq-url": [""],
  "--endpoint-url": [""],
  "--region": [""],
  "--outputs": [""],
};
const TARGET = ["--queue-url", "--dlq-url", "--endpoint-url", "--region", "--outputs"];
const READ = ["--max", "--hold"];
const FILTER = [
  "--public-id",
  "--error-type",
  "--reason-class",
  "--status",
  "--older-than",
  "--newer-than",
  "--public-ids",
];
/** Each command's base arguments, and the options whose values it checks. */
const COMMAND_OPTIONS: Record<string, { base: string[]; options: Record<string, string[]> }> = {
  stats: { base: ["stats"], options: pick([...TARGET, ...READ]) },
  peek: { base: ["peek"], options: pick([...TARGET, ...READ, ...FILTER], { "--limit": INTEGER_VALUES }) },
  export: {
    base: ["export", "--out", join(dir, "x.jsonl")],
    options: pick([...TARGET, ...READ, ...FILTER], { "--out": ["", " "] }),
  },
  purge: {
    base: ["purge", "--yes"],
    options: pick([...TARGET, ...READ, ...FILTER], { "--export": ["", " "] }),
  },
  replay: {
    base: ["replay"],
    options: pick([...TARGET, ...READ, ...FILTER], {
      "--rate": INTEGER_VALUES,
      "--limit": INTEGER_VALUES,
      "--ledger-table": [""],
    }),
  },
  redrive: { base: ["redrive"], options: pick(TARGET, { "--velocity": [...INTEGER_VALUES, "501"] }) },
};

function pick(names: string[], more: Record<string, string[]> = {}): Record<string, string[]> {
  return { ...Object.fromEntries(names.map((name) => [name, BAD_VALUES[name] ?? []])), ...more };
}

const badArguments = fc.constantFrom(...Object.keys(COMMAND_OPTIONS)).chain((command) => {
  const options: Record<string, string[]> = COMMAND_OPTIONS[command]?.options ?? {};
  return fc.constantFrom(...Object.keys(options)).chain((option) =>
    fc.record({
      command: fc.constant(command),
      option: fc.constant(option),
      value: fc.constantFrom(...(options[option] ?? [])),
    }),
  );
});

describe("empty and malformed arguments", () => {
  it("are refused with exit 1, naming the option and the value, before any SQS call", async () => {
    writeFileSync(join(dir, "empty-ids.txt"), "# no ids\n");
    const bare = await startBareDlq({ count: 4 });
    try {
      await fc.assert(
        fc.asyncProperty(badArguments, async ({ command, option, value }) => {
          bare.proxy.calls.length = 0;
          const base = COMMAND_OPTIONS[command]?.base ?? [];

          const run = await runDlq(undefined, [...base, option, value], bare.targetFlags);

          expect({ code: run.code, calls: bare.proxy.calls.map((call) => call.action) }).toStrictEqual({
            code: 1,
            calls: [],
          });
          expect(run.err).toContain(`option '${option} `);
          expect(run.err).toContain(`'${value}'`);
        }),
        { seed: SEED, numRuns: 80, endOnFailure: true },
      );
      expect((await bare.dlq()).issuedAt.size).toBe(4);
    } finally {
      await bare.stop();
    }
  });
});
