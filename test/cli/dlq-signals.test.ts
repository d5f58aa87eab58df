/**
 * `spot-meta dlq …` stopped the ways a process stops at night: a second Ctrl-C exits at once and
 * still gives back what it holds; a bug thrown outside the command's own `try` does too; SIGKILL,
 * which nothing can catch, leaves messages hidden for one short hold (`--hold`) at most. Then the
 * guard's part that needs a real process: the process stopped at a random point by a random signal.
 *
 * A fixed seed in CI; DLQ_GUARD_SEED=N draws other kills (the seed is printed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, afterEach, expect, it } from "vitest";
import { type BareDlq, type SeededMessage, startBareDlq } from "../tools/dlq/bare-dlq.ts";
import { type Expectations, violations } from "../tools/dlq/invariants.ts";
import { type DlqChild, startDlqChild } from "./dlq-cli.ts";

const SEED = Number(process.env.DLQ_GUARD_SEED ?? 20261129);
console.info(`DLQ kill guard: seed ${SEED} (DLQ_GUARD_SEED=${SEED} replays it)`);

let bare: BareDlq | undefined;
const dir = mkdtempSync(join(tmpdir(), "dlq-signals-"));
afterEach(async () => {
  await bare?.stop();
  bare = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const everything = () => true;

const sendCalls = (dlq: BareDlq | undefined) =>
  dlq?.proxy.calls.filter((call) => call.action === "SendMessageBatch").length ?? 0;

/** Resolves once `condition` holds; rejects if the child exits first or after `timeoutMs`. */
async function until(condition: () => boolean, child: DlqChild, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    const exited = await Promise.race([child.exited, sleep(20).then(() => false as const)]);
    if (exited !== false) throw new Error(`exited first:\n${child.output()}`);
    if (Date.now() > end) throw new Error(`timed out:\n${child.output()}`);
  }
}

/**
 * Ctrl-C pressed again and again until the process goes, as a person does: a press within a second
 * of the last one counted is taken for npm's copy of it (lib/cli/shared/ctrl-c.ts).
 */
async function pressUntilExited(child: DlqChild): DlqChild["exited"] {
  for (;;) {
    child.pressCtrlC();
    const exit = await Promise.race([child.exited, sleep(100).then(() => undefined)]);
    if (exit !== undefined) return exit;
  }
}
/** A replay of every message that gave back all it held, however it stopped: none lost, removed or hidden. */
const REPLAYED_AND_RELEASED: Expectations = {
  selects: everything,
  mayRemove: false,
  holdMs: 0,
  released: true,
};

it("a second Ctrl-C exits at once and still makes every held message visible", async () => {
  // Prepare: the second batch's send is never answered, so the first Ctrl-C's stop waits on it
  bare = await startBareDlq({ count: 10 });
  bare.hold = (action, call) => action === "SendMessageBatch" && call > 1;
  const child = startDlqChild(["replay", "--rate", "2", ...bare.targetFlags]);
  await until(() => sendCalls(bare) === 2, child);
  child.pressCtrlC();
  await child.waitFor(/stopping/);
  // Act
  const exit = await pressUntilExited(child);
  // Assess
  expect(child.output()).toContain("second Ctrl-C: making the messages this run holds visible again");
  expect(exit.code).toBe(130);
  expect(await violations(bare, REPLAYED_AND_RELEASED)).toStrictEqual([]);
});

it("through npx, a first Ctrl-C stops after the current batch and exits 2, though npm passes it on too", async () => {
  // Prepare: a terminal's Ctrl-C reaches npm and the command; npm sends the command its own copy
  bare = await startBareDlq({ count: 10 });
  const child = startDlqChild(["replay", "--rate", "2", ...bare.targetFlags], [], { throughNpx: true });
  await child.waitFor(/replayed 1\/10/, 30_000);
  // Act
  child.pressCtrlC();
  const exit = await child.exited;
  // Assess
  expect(child.output()).toContain("interrupted: the rest is still in the DLQ");
  expect(child.output()).not.toContain("second Ctrl-C");
  expect(exit.code).toBe(2);
  expect(await violations(bare, REPLAYED_AND_RELEASED)).toStrictEqual([]);
});

it("a bug thrown outside the command's try still makes every held message visible, and exits 1", async () => {
  bare = await startBareDlq({ count: 10 });
  const bug = join(import.meta.dirname, "bug-after-first-batch.ts");

  const child = startDlqChild(["replay", "--rate", "2", ...bare.targetFlags], ["--import", bug]);
  const exit = await child.exited;

  expect(child.output()).toContain("a bug outside the command's try");
  expect(exit.code).toBe(1);
  expect(await violations(bare, REPLAYED_AND_RELEASED)).toStrictEqual([]);
});

it("SIGKILL leaves what the run held hidden for one --hold at most", async () => {
  bare = await startBareDlq({ count: 10 });
  const child = startDlqChild(["replay", "--rate", "2", "--hold", "2", ...bare.targetFlags]);
  await child.waitFor(/replayed 1\/10/);

  child.process.kill("SIGKILL");
  await child.exited;

  const hidden = (await bare.dlq()).hiddenForMs;
  expect(hidden.length).toBeGreaterThan(0);
  expect(
    await violations(bare, { selects: everything, mayRemove: false, holdMs: 2_000, released: false }),
  ).toStrictEqual([]);
});

const KILLS = {
  command: fc.constantFrom("replay", "purge", "export"),
  signal: fc.constantFrom("SIGKILL", "SIGINT", "SIGINT twice", "SIGTERM", "SIGHUP"),
  delayMs: fc.integer({ min: 0, max: 700 }),
};
const COMMANDS: Record<
  string,
  { args: string[]; selects: (m: SeededMessage) => boolean; mayRemove: boolean }
> = {
  replay: {
    args: ["replay", "--rate", "20", "--status", "404,400"],
    selects: (m) => m.status !== 503,
    mayRemove: false,
  },
  purge: { args: ["purge", "--yes", "--status", "404"], selects: (m) => m.status === 404, mayRemove: true },
  export: { args: ["export", "--out", join(dir, "export.jsonl")], selects: everything, mayRemove: false },
};

it("killed at a random point by a random signal, no run loses, touches outside its filter, or hides past its hold", async () => {
  for (const kill of fc.sample(fc.record(KILLS), { seed: SEED, numRuns: 2 })) {
    const dlq = await startBareDlq({ count: 30 });
    try {
      const command = COMMANDS[kill.command] ?? { args: [], selects: everything, mayRemove: false };
      const child = startDlqChild([...command.args, "--hold", "1", ...dlq.targetFlags]);
      await child.waitFor(/about to/);
      await new Promise((resolve) => setTimeout(resolve, kill.delayMs));
      child.process.kill(kill.signal === "SIGINT twice" ? "SIGINT" : kill.signal);
      if (kill.signal === "SIGINT twice") {
        await Promise.race([child.waitFor(/stopping/).catch(() => {}), child.exited]);
        child.process.kill("SIGINT");
      }
      await child.exited;

      const problems = await violations(dlq, {
        ...command,
        holdMs: 1_000,
        released: kill.signal !== "SIGKILL",
      });
      expect({ kill, problems }).toStrictEqual({ kill, problems: [] });
    } finally {
      await dlq.stop();
    }
  }
});
