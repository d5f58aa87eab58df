/**
 * Ctrl-C on a long import, on a terminal: the progress bar is stopped before anything else is
 * written, and never drawn again, so neither the "stopping" line nor the summary is drawn over.
 * (cli-progress puts the cursor back where the bar began when it stops: a bar still running when
 * the line was written sent the summary up over it.) The import runs on a real pseudo-terminal
 * (util-linux `script`), and Ctrl-C is the key press, which the terminal turns into SIGINT.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { COMPILE_CACHE } from "../support/compile-cache.ts";
import { type SqsProxy, startSqsProxy } from "../support/sqs-proxy.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "spot-meta.ts");
const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;
/** What cli-progress writes to draw the bar again, and to put the cursor back where it began. */
const BAR_REDRAW = "\x1b[1Gimport |";
const CURSOR_BACK = "\x1b8";

let sqs: EmbeddedSqs;
let proxy: SqsProxy;
let dir: string;

beforeAll(async () => {
  sqs = await startEmbeddedSqs();
  // Each batch of 10 takes ≥ 10 ms to send, so 3,000 rows one batch at a time take ≥ 3 s whatever
  // the machine's speed: the bar is still running when the key is pressed.
  proxy = await startSqsProxy(sqs.endpoint, { batchDelayMs: 10 });
  dir = mkdtempSync(join(tmpdir(), "import-interrupt-"));
  const rows = Array.from({ length: 3_000 }, (_, i) => `O${String(i).padStart(7, "0")},north`);
  writeFileSync(join(dir, "big.csv"), `public_id,clinic\n${rows.join("\n")}\n`);
});
afterAll(async () => {
  await proxy?.stop();
  await sqs?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_SCRIPT)("Ctrl-C on an import with a progress bar", () => {
  it("stops the bar before the stopping line, and the summary comes after both", async () => {
    // Prepare
    const command = `exec "${process.execPath}" "${BIN}" import big.csv --queue-url ${sqs.queueUrl} --endpoint-url ${proxy.endpoint} --concurrency 1`;
    const child = spawn("script", ["-qefc", command, "/dev/null"], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, TERM: "xterm", ...COMPILE_CACHE },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let text = "";
    const drawn = new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        // Drawn at least twice: the bar is running, not only started.
        if (text.split(BAR_REDRAW).length > 2) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await drawn;
    // Act: the key press
    child.stdin.write("\x03");
    const code = await exited;
    child.stdin.end();
    // Assess
    const afterStopping = text.slice(text.indexOf("stopping: waiting for the batches in flight"));
    expect(code).toBe(2);
    expect(afterStopping).toContain("big.csv: stopped early");
    expect(afterStopping).not.toContain(BAR_REDRAW);
    expect(afterStopping).not.toContain(CURSOR_BACK);
  }, 60_000);
});
