/** `spot-meta dev` stops everything it started, however it is stopped: even when only its parent is told. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (condition()) return true;
  return condition();
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("stops, and removes its dev.json, when its parent gets a SIGTERM it does not pass on (as npm exec does)", async () => {
  // Prepare: a shell stands in for npm: it runs the dev stack as its child and ignores what it is sent
  dir = mkdtempSync(join(tmpdir(), "spot-meta-dev-"));
  const state = join(dir, ".spot-meta", "dev.json");
  const parent = spawn("sh", ["-c", `"${process.execPath}" "${BIN}" dev --orders 5 --pollers 0; true`], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    stdio: "ignore",
  });
  expect(await until(() => existsSync(state), 20_000)).toBe(true);
  const { pid } = JSON.parse(readFileSync(state, "utf8")) as { pid: number };

  // Act
  parent.kill("SIGTERM");

  // Assess
  expect(await until(() => !running(pid), 10_000)).toBe(true);
  expect(existsSync(state)).toBe(false);
}, 40_000);
