/**
 * `spot-meta import-status` on the local stack: an import followed to Spot through the ledger and
 * the DLQ, with an order overtaken by a service's newer update, one Spot does not know, a row
 * superseded in the file and two rejected ones (one after a valid row of its order, which still counts).
 */
import { describe, expect, it } from "vitest";
import type { LocalStack } from "../../../lib/local/local-stack.ts";
import { type ImportStatus, RowFate } from "../../../lib/tools/csv-import/import-status.ts";
import { orderId } from "../../support/queues.ts";
import { spotMeta, stackFlags } from "../../support/spot-meta-cli.ts";
import { importOnStack, overtakeByService } from "../../support/stack-imports.ts";
import { testStackPerTest } from "../../support/test-stack.ts";
import { tempDir } from "./support/files.ts";

const local = testStackPerTest();

const CSV = [
  "public_id,clinic",
  `${orderId(1)},a`,
  `${orderId(2)},b`,
  `${orderId(3)},c`,
  "Z404,d",
  `${orderId(2)},e`,
  "bad/id,f",
  // Rejected (a value without a header): it must not cost order 1's valid line 2 its place
  `${orderId(1)},g,extra`,
  "",
].join("\n");

/** Runs `spot-meta import-status` in `cwd` against the stack's queues and ledger. */
async function importStatusCli(stack: LocalStack, cwd: string, args: string[]) {
  const run = await spotMeta(["import-status", ...args, ...stackFlags(stack), "--json"], { cwd }).done;
  return { ...run, status: (run.stdout === "" ? undefined : JSON.parse(run.stdout)) as ImportStatus };
}

describe("spot-meta import-status", () => {
  it("--watch stopped by Ctrl-C before the rows reached an end shows where they are, and exits 2", async () => {
    // Prepare: the stack does not poll, so the rows stay on the way
    const stack = await local.start({ autoStart: false });
    const dir = tempDir();
    const summary = await importOnStack(stack, dir.write("orders.csv", CSV), dir.path);
    const run = spotMeta(
      [
        "import-status",
        summary.importId as string,
        "--watch",
        "--interval",
        "0.2",
        ...stackFlags(stack),
        "--json",
      ],
      { cwd: dir.path },
    );
    let stderr = "";
    await new Promise<void>((resolve) =>
      run.child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk;
        if (stderr.includes("rows reached an end")) resolve();
      }),
    );

    // Act
    run.child.kill("SIGINT");
    const stopped = await run.done;

    // Assess
    expect(stopped.code, stopped.stderr).toBe(2);
    expect(stopped.stderr).toContain("stopping: showing where the rows are now");
    expect(JSON.parse(stopped.stdout)).toMatchObject({ settled: false, counts: { onTheWay: 4 } });
  });

  it("follows an import's rows to Spot, --watch until they all reached an end: applied, overtaken, dead-lettered, superseded in the file, rejected", async () => {
    // Prepare: the stack does not poll yet, so the import's rows wait on the queue
    const stack = await local.start({ autoStart: false });
    const dir = tempDir();
    const file = dir.write("orders.csv", CSV);
    const summary = await importOnStack(stack, file, dir.path);
    const importId = summary.importId as string;

    // Act: one look before the stack runs, one after, with a service's newer update for order 3 between
    const waiting = await importStatusCli(stack, dir.path, [importId]);
    const watched = importStatusCli(stack, dir.path, [importId, "--watch", "--interval", "0.2"]);
    stack.eventSource.start();
    const watchedToTheEnd = await watched;
    await overtakeByService(stack, orderId(3), { clinic: "newer" });
    const done = await importStatusCli(stack, dir.path, [file]);

    // Assess
    expect(waiting.code).toBe(4);
    expect(waiting.status.counts).toMatchObject({
      onTheWay: 4,
      rejected: 2,
      supersededInFile: 1,
      applied: 0,
    });
    expect(watchedToTheEnd.code).toBe(3);
    expect(watchedToTheEnd.status).toMatchObject({
      settled: true,
      counts: { applied: 3, deadLettered: 1, onTheWay: 0 },
    });
    expect(watchedToTheEnd.stderr).toMatch(/rows reached an end/);
    expect(done.code).toBe(3);
    expect(done.status).toMatchObject({ importId, rows: 7, settled: true });
    expect(done.status.counts).toStrictEqual({
      [RowFate.applied]: 2,
      [RowFate.overtaken]: 1,
      [RowFate.deadLettered]: 1,
      [RowFate.onTheWay]: 0,
      [RowFate.queued]: 0,
      [RowFate.notQueued]: 0,
      [RowFate.rejected]: 2,
      [RowFate.supersededInFile]: 1,
    });
    expect(done.status.deadLettered).toStrictEqual([
      { line: 5, publicId: "Z404", reason: expect.stringMatching(/404/) },
    ]);
    dir.remove();
  });

  it("says so, in one line, when no import of the file is known here", async () => {
    const stack = await local.start({ autoStart: false });
    const dir = tempDir();
    const { code, stderr } = await importStatusCli(stack, dir.path, [dir.write("never.csv", CSV)]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^spot-meta import-status: no import of .*never\.csv is known here/);
    dir.remove();
  });
});
