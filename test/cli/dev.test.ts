/** `spot-meta dev` stops everything it started, however it is stopped: even when only its parent is told. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, it } from "vitest";
import { COMPILE_CACHE } from "../support/compile-cache.ts";

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
    env: { PATH: process.env.PATH, ...COMPILE_CACHE },
    stdio: "ignore",
  });
  // Budgets are for a hang only: each wait ends when its condition holds (a starved machine takes
  // tens of seconds to start the dev stack).
  expect(await until(() => existsSync(state), 90_000)).toBe(true);
  const { pid } = JSON.parse(readFileSync(state, "utf8")) as { pid: number };

  // Act
  parent.kill("SIGTERM");

  // Assess
  expect(await until(() => !running(pid), 30_000)).toBe(true);
  expect(existsSync(state)).toBe(false);
}, 150_000);

const HAS_AWS_CLI = spawnSync("aws", ["--version"]).status === 0;

it.skipIf(!HAS_AWS_CLI)(
  "prints an AWS CLI command that sends an update on a machine with no AWS configuration, and it is applied",
  async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), "spot-meta-dev-"));
    const dev = spawn(process.execPath, [BIN, "dev", "--orders", "5"], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...COMPILE_CACHE },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    dev.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
    });
    dev.stderr.on("data", (chunk: Buffer) => {
      err += chunk;
    });
    try {
      expect(await until(() => err.includes("--attribute-names All"), 20_000)).toBe(true);
      const lines = err.split("\n");
      const first = lines.findIndex((line) => line.includes("aws --region"));
      const last = lines.findIndex((line, i) => i > first && !line.endsWith("\\"));
      const command = lines.slice(first, last + 1).join("\n");
      // Act: as printed, with no AWS region, profile or credentials anywhere
      const send = spawnSync("sh", ["-c", command], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir },
        encoding: "utf8",
      });
      // Assess
      expect(command).toContain("sqs send-message");
      expect({ status: send.status, stderr: send.stderr }).toStrictEqual({ status: 0, stderr: "" });
      const { MessageId } = JSON.parse(send.stdout) as { MessageId: string };
      expect(await until(() => applied(out, MessageId), 20_000)).toBe(true);
    } finally {
      dev.kill("SIGINT");
      await new Promise((resolve) => dev.once("exit", resolve));
    }
  },
  60_000,
);

/** Whether the handler's JSON lines say the message was applied. */
function applied(jsonLines: string, messageId: string): boolean {
  return jsonLines
    .split("\n")
    .some((line) => line.includes(`"messageId":"${messageId}"`) && line.includes('"outcome":"applied"'));
}
