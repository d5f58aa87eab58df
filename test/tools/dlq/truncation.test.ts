/**
 * Every command says when its read was truncated (at --max, or short of SQS's own count), so a
 * replay or purge of an order it never read cannot pass for "nothing to do": the summary says so
 * and the exit code is 2 (done in part).
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BareDlq, startBareDlq } from "./bare-dlq.ts";
import { runDlqOn } from "./support.ts";

let bare: BareDlq;
const OUT = join(tmpdir(), `dlq-truncation-${process.pid}.jsonl`);

beforeAll(async () => {
  bare = await startBareDlq({ count: 6 });
});
afterAll(async () => {
  rmSync(OUT, { force: true });
  await bare?.stop();
});

describe("a read stopped at --max", () => {
  // P9 is not in the DLQ: from a read of 3 of 6 no one can tell, and the replay must not pretend to.
  it("replay --public-id P9 --max 3: says the read stopped at --max, exits 2", async () => {
    // Act
    const text = await runDlqOn(bare, ["replay", "--public-id", "P9", "--max", "3"]);
    const json = await runDlqOn(bare, ["replay", "--public-id", "P9", "--max", "3", "--json"]);
    // Assess
    expect(text.code).toBe(2);
    expect(text.out).toContain("replayed 0 of 0 selected (3 read)");
    expect(text.out).toContain("read 3 of about 6 messages (SQS's count): stopped at --max 3");
    expect(JSON.parse(json.out)).toMatchObject({
      read: 3,
      approximateTotal: 6,
      truncated: true,
      truncation: "max",
    });
    expect((await bare.dlq()).issuedAt.size).toBe(6);
  });

  it("purge, export and peek say so too", async () => {
    const purge = await runDlqOn(bare, ["purge", "--public-id", "P9", "--max", "3"]);
    const exported = await runDlqOn(bare, ["export", "--public-id", "P9", "--max", "3", "--out", OUT]);
    const peek = await runDlqOn(bare, ["peek", "--public-id", "P9", "--max", "3"]);

    for (const run of [purge, exported, peek]) {
      expect(run.out).toContain("read 3 of about 6 messages (SQS's count): stopped at --max 3");
    }
    expect([purge.code, exported.code, peek.code]).toStrictEqual([2, 2, 0]);
  });
});
