/**
 * `spot-meta verify` on the local stack, as a child process: an import applied, then orders changed
 * behind the system's back in the sandbox (a value changed, a key added), one order Spot does not
 * know, and one overtaken by a service's newer update. Compared with the file and with the ledger,
 * fixed through the queue, and stopped and resumed.
 */
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LocalStack } from "../../../lib/local/local-stack.ts";
import { checkpointPathOf } from "../../../lib/tools/verify/checkpoint.ts";
import { orderId } from "../../support/queues.ts";
import { type CliRun, spotMeta, stackFlags } from "../../support/spot-meta-cli.ts";
import { importOnStack, overtakeByService } from "../../support/stack-imports.ts";
import { testStackPerTest } from "../../support/test-stack.ts";
import { tempDir } from "../csv-import/support/files.ts";

const local = testStackPerTest();

const CSV = [
  "public_id,clinic",
  `${orderId(1)},a`,
  `${orderId(2)},b`,
  `${orderId(3)},c`,
  `${orderId(4)},d`,
  "Z404,e",
  `${orderId(2)},b2`,
  "",
].join("\n");

/** Runs `spot-meta verify` in `cwd` against the stack's sandbox, queue and ledger. */
function verifyCli(
  stack: LocalStack,
  cwd: string,
  args: string[],
  options: { interruptAfterReads?: number } = {},
): Promise<CliRun> {
  const reads = () =>
    stack.sandbox.requests.filter((r) => r.method === "GET" && r.publicId !== undefined).length;
  const readsBefore = reads();
  const env = { SPOT_META_SPOT_BASE_URL: stack.sandbox.url, SPOT_META_SPOT_TOKEN: stack.sandbox.token };
  const { child, done } = spotMeta(["verify", ...args, ...stackFlags(stack)], { cwd, env });
  // Ctrl-C once the child has read that many orders from Spot (the event, not a guess at how long
  // the child takes to start and read them).
  const interruptAfterReads = options.interruptAfterReads;
  const watcher =
    interruptAfterReads === undefined
      ? undefined
      : setInterval(() => {
          if (reads() - readsBefore < interruptAfterReads) return;
          clearInterval(watcher);
          child.kill("SIGINT");
        }, 10);
  return done.finally(() => clearInterval(watcher));
}

/** Changes an order's metadata at Spot directly, as someone in Spot's own UI would. */
async function changeBehindTheBack(stack: LocalStack, publicId: string, metadata: Record<string, unknown>) {
  const response = await fetch(`${stack.sandbox.url}/api/v2/orders/${publicId}/`, {
    method: "POST",
    headers: { authorization: `Token ${stack.sandbox.token}`, "content-type": "application/json" },
    body: JSON.stringify({ metadata }),
  });
  expect(response.status).toBe(200);
}

/** The stack with the file imported and applied, Spot changed behind its back, order 3 overtaken. */
async function driftedStack() {
  const stack = await local.start();
  const dir = tempDir();
  const file = dir.write("orders.csv", CSV);
  await importOnStack(stack, file, dir.path);
  await overtakeByService(stack, orderId(3), { clinic: "newer" });
  await changeBehindTheBack(stack, orderId(1), { clinic: "changed" });
  await changeBehindTheBack(stack, orderId(2), { extra: "x", clinic: "b2" });
  return { stack, dir, file };
}

/** The report's rows, without the header. */
function reportRows(path: string): string[] {
  return readFileSync(path, "utf8").trim().split("\n").slice(1);
}

describe("spot-meta verify", () => {
  it("reports drift against the file and the ledger, leaves an overtaken order alone, and --fix puts Spot right", async () => {
    // Prepare
    const { stack, dir, file } = await driftedStack();
    const report = (name: string) => join(dir.path, name);

    // Act
    const byFile = await verifyCli(stack, dir.path, [
      "--file",
      file,
      "--report",
      report("file.csv"),
      "--json",
    ]);
    const byLedger = await verifyCli(stack, dir.path, [
      "--ledger",
      "--report",
      report("ledger.csv"),
      "--json",
    ]);
    // An id file with a comment and blank lines (as dlq --public-ids takes), and no --report
    writeFileSync(
      report("ids.txt"),
      `# the orders to check\n\n${orderId(1)}\n  # not this one\n${orderId(4)}\nZ9999999\n`,
    );
    const byIds = await verifyCli(stack, dir.path, ["--ledger", "--ids", "ids.txt", "--json"]);
    const fixed = await verifyCli(stack, dir.path, [
      "--file",
      file,
      "--fix",
      "--report",
      report("fix.csv"),
      "--json",
    ]);
    await stack.waitUntilDrained();
    const again = await verifyCli(stack, dir.path, ["--file", file, "--report", report("again.csv")]);

    // Assess
    expect(byFile.code, byFile.stderr).toBe(3);
    expect(JSON.parse(byFile.stdout).counts).toMatchObject({
      checked: 5,
      matching: 1,
      drift: 2,
      missingAtSpot: 1,
      overtaken: 1,
      passedOver: 1,
    });
    expect(reportRows(report("file.csv"))).toStrictEqual([
      `${orderId(1)},drift,~clinic,line 2 of orders.csv`,
      "Z404,missing-at-spot,,line 6 of orders.csv",
      `${orderId(2)},drift,"'+extra",line 7 of orders.csv`,
    ]);
    expect(statSync(report("file.csv")).mode & 0o777).toBe(0o600);
    expect(byFile.stdout + byFile.stderr).not.toContain("changed");
    expect(byFile.stdout + byFile.stderr).not.toContain(stack.sandbox.token);

    expect(byLedger.code, byLedger.stderr).toBe(3);
    // The Scan goes in the table's hash order, not the file's.
    const ledgerRows = reportRows(report("ledger.csv")).sort();
    expect(ledgerRows.map((row) => row.split(",").slice(0, 3).join(","))).toStrictEqual([
      `${orderId(1)},drift,~clinic`,
      `${orderId(2)},drift,"'+extra"`,
    ]);
    expect(ledgerRows[0]).toMatch(/,applied \d{4}-\d\d-\d\dT[\d:.]+Z \(message [\w-]+\)$/);

    expect(byIds.code, byIds.stderr).toBe(3);
    const idsSummary = JSON.parse(byIds.stdout);
    expect(idsSummary.counts).toMatchObject({ checked: 3, drift: 1, matching: 1, unknown: 1 });
    // The report lands beside the import receipts (git-ignored), not in the directory it ran from.
    expect(idsSummary.report).toMatch(/\/\.spot-meta\/verify\/verify-\d{8}T\d{6}Z\.csv$/);
    expect(idsSummary.report.startsWith(realpathSync(dir.path))).toBe(true);
    // The order the ledger does not know is named, with why, not only counted.
    expect(reportRows(idsSummary.report).map((row) => row.split(",").slice(0, 3).join(","))).toStrictEqual([
      `${orderId(1)},drift,~clinic`,
      "Z9999999,unknown,not in the ledger",
    ]);

    expect(fixed.code, fixed.stderr).toBe(3);
    expect(JSON.parse(fixed.stdout).counts).toMatchObject({ drift: 2, requeued: 2, overtaken: 1 });
    expect(again.code, again.stdout + again.stderr).toBe(3); // Z404 is still unknown at Spot
    expect(reportRows(report("again.csv"))).toStrictEqual(["Z404,missing-at-spot,,line 6 of orders.csv"]);
    expect(stack.sandbox.metadataOf(orderId(1))).toStrictEqual({ clinic: "a" });
    expect(stack.sandbox.metadataOf(orderId(2))).toStrictEqual({ clinic: "b2" });
    expect(stack.sandbox.metadataOf(orderId(3))).toStrictEqual({ clinic: "newer" });
    dir.remove();
  });

  it("stops cleanly on Ctrl-C and --resume lists each drifted order once", async () => {
    // Prepare
    const { stack, dir, file } = await driftedStack();
    const report = join(dir.path, "resumed.csv");

    // Act: one read a second, stopped after the first; resumed at full pace
    const stopped = await verifyCli(stack, dir.path, ["--file", file, "--report", report, "--rate", "1"], {
      interruptAfterReads: 1,
    });
    const checkpointAfterStop = existsSync(checkpointPathOf(report));
    const resumed = await verifyCli(stack, dir.path, [
      "--file",
      file,
      "--report",
      report,
      "--resume",
      "--json",
    ]);

    // Assess
    expect(stopped.code, stopped.stderr).toBe(2);
    expect(checkpointAfterStop).toBe(true);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(JSON.parse(resumed.stdout).counts).toMatchObject({ checked: 5, drift: 2, missingAtSpot: 1 });
    expect(reportRows(report).map((row) => row.split(",")[0])).toStrictEqual([
      orderId(1),
      "Z404",
      orderId(2),
    ]);
    expect(existsSync(checkpointPathOf(report))).toBe(false);
    dir.remove();
  });

  it("refuses --fix on a FIFO queue before reading any order, and says what to do instead", async () => {
    // Prepare
    const stack = await local.start();
    const dir = tempDir();
    const file = dir.write("orders.csv", CSV);
    await importOnStack(stack, file, dir.path);
    const fifoFlags = [
      "--queue-url",
      `${stack.queues.queueUrl}.fifo`,
      "--endpoint-url",
      stack.queues.endpoint,
    ];
    const env = { SPOT_META_SPOT_BASE_URL: stack.sandbox.url, SPOT_META_SPOT_TOKEN: stack.sandbox.token };
    const readsBefore = stack.sandbox.requests.filter((r) => r.method === "GET").length;

    // Act
    const run = await spotMeta(["verify", "--file", file, "--fix", ...fifoFlags], { cwd: dir.path, env })
      .done;

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is a FIFO queue, which refuses the per-message delay a fix needs");
    expect(stack.sandbox.requests.filter((r) => r.method === "GET").length).toBe(readsBefore);
  });
});
