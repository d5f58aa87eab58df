/**
 * dev.json is read by commands started at any moment, dev's own start included: a reader never
 * finds it half-written (a `spot-meta worker` started just then would go on as if no dev ran).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";

const DEV_STATE = join(import.meta.dirname, "..", "..", "lib", "local", "dev-state.ts");
/** Without the rename, a few hundred writes give thousands of empty reads on this machine. */
const WRITES = 500;

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it("is never read half-written while another process writes it", async () => {
  // Prepare: another process writes dev.json over and over, then leaves a mark
  dir = mkdtempSync(join(tmpdir(), "dev-state-"));
  const file = join(dir, "dev.json");
  const done = join(dir, "done");
  const writer = `
    import { writeFileSync } from "node:fs";
    import { writeDevState } from ${JSON.stringify(DEV_STATE)};
    const state = {
      pid: process.pid, startedAt: new Date().toISOString(), region: "us-east-1",
      sqsEndpoint: "http://127.0.0.1:1", queueUrl: "http://127.0.0.1:1/000000000000/q",
      dlqUrl: "http://127.0.0.1:1/000000000000/q-dlq", sandboxUrl: "http://127.0.0.1:2",
      sandboxToken: "local-sandbox-token",
    };
    for (let n = 0; n < ${WRITES}; n++) writeDevState({ ...state, n }, ${JSON.stringify(file)});
    writeFileSync(${JSON.stringify(done)}, "");`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", writer], { stdio: "inherit" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

  // Act: read it as a command would, as often as possible, until the writer is done
  let reads = 0;
  const torn: string[] = [];
  while (!existsSync(done) && child.exitCode === null) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // not there yet
    }
    reads++;
    try {
      JSON.parse(text);
    } catch {
      torn.push(text);
    }
    // let the child's exit be seen if it fails
    if (reads % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  // Assess
  expect(await exited).toBe(0);
  expect(reads).toBeGreaterThan(0);
  expect(torn.length, `read half-written, e.g. ${JSON.stringify(torn[0])}`).toBe(0);
});
