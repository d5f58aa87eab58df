import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { type EmbeddedSqs, startEmbeddedSqs } from "../../lib/local/embedded-sqs.ts";
import { startSqsProxy } from "../support/sqs-proxy.ts";
import { keyColumnCsv, orderId, type TempDir, tempDir } from "../tools/csv-import/support/files.ts";
import { drainQueue } from "../tools/csv-import/support/queue.ts";

let sqs: EmbeddedSqs | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await sqs?.stop();
  dir?.remove();
  sqs = undefined;
  dir = undefined;
});

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Runs bin/spot-meta.ts in a child process, with no SPOT_META_* variables and no dev stack.
 * @param command another command line to run instead (e.g. under `script`, for a terminal)
 */
function spotMeta(args: string[], cwd: string, command?: string[]): Run {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SPOT_META_")),
  );
  const [file, ...rest] = command ?? [process.execPath, `${process.cwd()}/bin/spot-meta.ts`, ...args];
  const child = spawn(file as string, rest, { cwd, env });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function setUp() {
  sqs = await startEmbeddedSqs();
  dir = tempDir();
  return { sqs, dir, flags: ["--queue-url", sqs.queueUrl, "--endpoint-url", sqs.endpoint, "--no-progress"] };
}

describe("spot-meta import", () => {
  it("exits 0 when every row is queued, and prints the summary as JSON with --json", async () => {
    // Prepare
    const { sqs, dir, flags } = await setUp();
    const file = dir.write("ok.csv", keyColumnCsv(25));

    // Act
    const { code, stdout } = await spotMeta(["import", file, ...flags, "--json"], dir.path).done;

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ rows: 25, queued: 25, rejected: 0, queueUrl: sqs.queueUrl });
    expect(await drainQueue(sqs.client(), sqs.queueUrl)).toHaveLength(25);
  });

  it("exits 3 when rows are rejected, naming the rejects file; a dry run needs no queue", async () => {
    // Prepare
    const { dir } = await setUp();
    const file = dir.write("bad.csv", "public_id,clinic\nO1,x\na/b,y\n");

    // Act
    const { code, stdout } = await spotMeta(["import", file, "--dry-run", "--no-progress"], dir.path).done;

    // Assess
    expect(code).toBe(3);
    expect(stdout).toContain(`rejected    1  → ${file}.rejects.csv`);
    expect(stdout).toContain("would queue 1");
  });

  it("exits 1 with a clear message when it cannot run", async () => {
    // Prepare
    const { dir, flags } = await setUp();
    const noIdColumn = dir.write("h.csv", "order,clinic\nO1,x\n");

    // Act
    const [missing, noColumn, noTarget] = await Promise.all([
      spotMeta(["import", `${dir.path}/nope.csv`, ...flags], dir.path).done,
      spotMeta(["import", noIdColumn, ...flags], dir.path).done,
      spotMeta(["import", noIdColumn, "--no-progress"], dir.path).done,
    ]);

    // Assess
    expect([missing.code, noColumn.code, noTarget.code]).toStrictEqual([1, 1, 1]);
    expect(missing.stderr).toBe(`spot-meta import: cannot read ${dir.path}/nope.csv: no such file\n`);
    expect(noColumn.stderr).toBe(
      'spot-meta import: no public_id column in the header; found "order", "clinic"\n',
    );
    expect(noTarget.stderr).toContain("no target queue: name one with");
    // Every refusal is one line, this one too.
    expect(noTarget.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("stops on Ctrl-C with exit 2 (done in part) and a checkpoint; --resume finishes with every row queued once", async () => {
    // Prepare: each batch of 10 takes ≥ 10 ms to send, so 3,000 rows one batch at a time take ≥ 3 s
    // whatever the machine's speed: still sending at the first checkpoint, written a second in.
    const { sqs, dir } = await setUp();
    const proxy = await startSqsProxy(sqs.endpoint, { batchDelayMs: 10 });
    const flags = ["--queue-url", sqs.queueUrl, "--endpoint-url", proxy.endpoint, "--no-progress"];
    const file = dir.write("big.csv", keyColumnCsv(3_000));
    const run = spotMeta(["import", file, ...flags, "--concurrency", "1"], dir.path);
    let exited = false;
    void run.done.then(() => {
      exited = true;
    });
    while (!exited && !existsSync(`${file}.checkpoint.json`)) await sleep(50);

    // Act
    run.child.kill("SIGINT");
    const stopped = await run.done;
    const resumed = await spotMeta(["import", file, ...flags, "--resume", "--json"], dir.path).done;
    await proxy.stop();

    // Assess
    expect(stopped.code).toBe(2);
    expect(stopped.stdout).toContain("--resume");
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout.slice(resumed.stdout.indexOf("{")))).toMatchObject({ queued: 3_000 });
    // Each row is a distinct order: exactly 3,000 messages means none was sent twice or lost
    // (the library test of resume checks the ids one by one).
    const { Attributes } = await sqs.client().send(
      new GetQueueAttributesCommand({
        QueueUrl: sqs.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe("3000");
  }, 120_000);

  it("draws its progress bar on a terminal (the import runs in a worker, whose stderr is not one)", async () => {
    // Prepare
    const { dir, flags } = await setUp();
    const file = dir.write("tty.csv", keyColumnCsv(300));
    const command = [
      process.execPath,
      `${process.cwd()}/bin/spot-meta.ts`,
      "import",
      file,
      ...flags.slice(0, -1),
    ];

    // Act: `script` gives the command a terminal
    const run = spotMeta([], dir.path, ["script", "-qec", command.map(shellQuoted).join(" "), "/dev/null"]);
    const { code, stdout } = await run.done;

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/import \|[█░]+\| 100% 300\/300 rows/);
  });

  it("resumes exactly where a killed import stopped: every row queued, all with the first run's issuedAt", async () => {
    // Prepare: the import is killed (SIGKILL: no checkpoint on the way out) at a SendMessageBatch drawn by the seed
    const seed = 20261129;
    const killAt = 2 + (seed % 7);
    console.log(`killed at SendMessageBatch call ${killAt} (seed ${seed})`);
    const { sqs, dir } = await setUp();
    let run: ReturnType<typeof spotMeta> | undefined;
    const proxy = await startSqsProxy(sqs.endpoint, {
      onBatch: (call) => call === killAt && run?.child.kill("SIGKILL"),
    });
    const flags = [
      "--queue-url",
      sqs.queueUrl,
      "--endpoint-url",
      proxy.endpoint,
      "--no-progress",
      "--concurrency",
      "1",
    ];
    const file = dir.write("killed.csv", keyColumnCsv(300));

    // Act
    run = spotMeta(["import", file, ...flags], dir.path);
    const killed = await run.done;
    const resumed = await spotMeta(["import", file, ...flags, "--resume", "--json"], dir.path).done;
    await proxy.stop();

    // Assess
    expect(killed.code).toBe(null);
    expect(resumed.code).toBe(0);
    const received = await drainQueue(sqs.client(), sqs.queueUrl);
    expect([...new Set(received.map((m) => m.update.publicId))].sort()).toStrictEqual(
      Array.from({ length: 300 }, (_, n) => orderId(n + 1)),
    );
    // A row sent but not yet in the checkpoint is sent again: the same update, never a newer one.
    expect(new Set(received.map((m) => m.update.issuedAt)).size).toBe(1);
    expect(received.length - 300).toBeLessThanOrEqual(10 * killAt);
  });
});

function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
