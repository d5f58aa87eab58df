/**
 * An empty or malformed value (an unset shell variable, a stray comma, a swallowed flag) never
 * widens what a command selects: it is refused, naming the option and the value, with the exit
 * code of every usage error (1), before a single SQS call.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveDlqTarget } from "../../../lib/cli/shared/dlq-target.ts";
import { type BareDlq, startBareDlq } from "./bare-dlq.ts";
import { runDlq, runDlqOn } from "./support.ts";

let bare: BareDlq;
const EMPTY_IDS_FILE = join(tmpdir(), `dlq-args-${process.pid}-empty.txt`);
const OUT = join(tmpdir(), `dlq-args-${process.pid}-out.jsonl`);

beforeAll(async () => {
  writeFileSync(EMPTY_IDS_FILE, "# nothing here\n\n");
  bare = await startBareDlq({ count: 6 });
});
beforeEach(() => {
  bare.proxy.calls.length = 0;
});
afterAll(async () => {
  rmSync(EMPTY_IDS_FILE, { force: true });
  rmSync(OUT, { force: true });
  await bare?.stop();
});

const COMMANDS: Record<string, string[]> = {
  peek: ["peek"],
  replay: ["replay"],
  export: ["export", "--out", OUT],
  purge: ["purge", "--yes"],
};

const BAD_FILTERS: Array<[string, string]> = [
  ["--public-id", ""],
  ["--public-id", ","],
  ["--public-id", " "],
  ["--public-id", "P1,,P2"],
  ["--public-id", "--yes"],
  ["--public-ids", EMPTY_IDS_FILE],
  ["--reason-class", ""],
  ["--reason-class", "permanent,"],
  ["--status", ""],
  ["--status", "40x"],
  ["--error-type", ""],
  ["--error-type", ","],
  ["--older-than", ""],
  ["--newer-than", "soon"],
];

describe("an empty or malformed filter", () => {
  it("purge --public-id '' --status 404 --yes (ID unset) removes nothing and exits 1, naming the option", async () => {
    // Act
    const run = await runDlqOn(bare, ["purge", "--public-id", "", "--status", "404", "--yes"]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.err).toContain("--public-id");
    expect(run.err).toContain("''");
    expect(bare.proxy.calls).toStrictEqual([]);
    expect((await bare.dlq()).issuedAt.size).toBe(6);
  });

  for (const [command, args] of Object.entries(COMMANDS)) {
    it(`is refused by ${command} before anything is read`, async () => {
      const runs = [];
      for (const [option, value] of BAD_FILTERS) {
        runs.push({
          option,
          value,
          run: await runDlqOn(bare, [...args, option, value]),
        });
      }

      for (const { option, value, run } of runs) {
        expect({ option, value, code: run.code }).toStrictEqual({ option, value, code: 1 });
        expect(run.err).toContain(option);
        expect(run.err).toContain(value);
      }
      expect(bare.proxy.calls).toStrictEqual([]);
    });
  }
});

describe("bounds of the other options", () => {
  it("refuses --max past its ceiling, --velocity past SQS's 500/s, an empty --out, before any call", async () => {
    const runs = await Promise.all([
      runDlqOn(bare, ["stats", "--max", "100000"]),
      runDlqOn(bare, ["replay", "--max", "0"]),
      runDlqOn(bare, ["redrive", "--velocity", "501"]),
      runDlqOn(bare, ["export", "--out", ""]),
      runDlqOn(bare, ["purge", "--yes", "--all", "--export", ""]),
      runDlq(
        undefined,
        ["stats"],
        [...bare.targetFlags.slice(0, 2), "--dlq-url", "", ...bare.targetFlags.slice(4)],
      ),
    ]);

    expect(runs.map((run) => run.code)).toStrictEqual([1, 1, 1, 1, 1, 1]);
    expect(runs[0]?.err).toMatch(/--max.*'100000'.*at most 20000/s);
    expect(runs[2]?.err).toMatch(/--velocity.*'501'.*at most 500/s);
    expect(runs[3]?.err).toMatch(/--out.*''/s);
    expect(bare.proxy.calls).toStrictEqual([]);
  });
});

describe("an empty environment variable", () => {
  it("SPOT_META_DLQ_URL='' is unset, not a DLQ: the source queue's redrive policy names it", async () => {
    const flags = { queueUrl: bare.sqs.queueUrl, endpointUrl: bare.sqs.endpoint };

    const target = await resolveDlqTarget(flags, { needsSource: true, env: { SPOT_META_DLQ_URL: "" } });

    expect(target.dlqUrl).toBe(bare.sqs.dlqUrl);
    target.sqs.destroy();
  });
});
