/**
 * A long-running command (`spot-meta dev`, `spot-meta worker`) stops when its parent goes away, even
 * when the parent went away while the command was still starting, before it began to wait for a stop
 * (on a loaded machine, between dev.json being written and the wait beginning).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";

const INTERRUPTS = join(import.meta.dirname, "..", "..", "lib", "cli", "shared", "interrupts.ts");
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it("stops for a parent that went away while the command was starting", async () => {
  // Prepare: a command that loads the module, says so, and only starts waiting once told to; a shell
  // stands in for npm (it does not pass a SIGTERM on).
  dir = mkdtempSync(join(tmpdir(), "until-stopped-"));
  const go = join(dir, "go");
  const command = `
    const { existsSync } = await import("node:fs");
    const { trapInterrupts, untilAborted } = await import(${JSON.stringify(INTERRUPTS)});
    process.stdout.write("loaded\\n");
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
    const { signal } = trapInterrupts(() => {}, { stopping: "now", untilStopped: true });
    process.stdout.write(\`stopped: \${await untilAborted(signal)}\\n\`);
    process.exit(0);`;
  const shell = spawn("sh", ["-c", `"${process.execPath}" --input-type=module -e '${command}'; true`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  shell.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const child = new Promise<void>((resolve) => shell.stdout.on("end", resolve));
  await until(() => output.includes("loaded"));

  // Act: the parent goes, and only then does the command begin to wait for a stop.
  const shellGone = new Promise((resolve) => shell.once("exit", resolve));
  shell.kill("SIGTERM");
  await shellGone;
  writeFileSync(go, "");
  await Promise.race([child, new Promise((resolve) => setTimeout(resolve, 10_000))]);

  // Assess
  expect(output).toBe("loaded\nstopped: parent gone\n");
});

async function until(condition: () => boolean): Promise<void> {
  for (const end = Date.now() + 60_000; !condition() && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
