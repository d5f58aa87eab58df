/**
 * An export holds metadata values: it is always readable by its owner only, whatever file was at
 * its path before (a new file, renamed into place), and a failed export leaves that file as it was.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportMessages } from "../../../lib/tools/dlq/export.ts";
import { purgeMessages } from "../../../lib/tools/dlq/purge.ts";
import { type BareDlq, startBareDlq } from "./bare-dlq.ts";

let bare: BareDlq;
let dir: string;

beforeEach(async () => {
  bare = await startBareDlq({ count: 4 });
  dir = mkdtempSync(join(tmpdir(), "dlq-export-"));
});
afterEach(async () => {
  await bare.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A file anyone can read, as a previous export or another tool may have left it. */
function worldReadable(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, "old\n");
  chmodSync(path, 0o644);
  return path;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("the export file", () => {
  it("dlq export onto an existing 0644 file leaves it 0600, with the export inside", async () => {
    // Prepare
    const out = worldReadable("incident.jsonl");
    // Act
    await exportMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      filter: {},
      out,
      waitTimeSeconds: 0,
    });
    // Assess
    expect(modeOf(out)).toBe(0o600);
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(4);
    expect(readdirSync(dir)).toStrictEqual(["incident.jsonl"]);
  });

  it("purge --export onto an existing 0644 file leaves it 0600", async () => {
    const out = worldReadable("purged.jsonl");

    await purgeMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      filter: { publicIds: ["P1"] },
      confirm: true,
      exportTo: out,
      waitTimeSeconds: 0,
    });

    expect(modeOf(out)).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8")).publicId).toBe("P1");
  });

  it("a failed export leaves the file that was there as it was, and no temporary file", async () => {
    const out = worldReadable("kept.jsonl");
    bare.fault = (action) =>
      action === "ReceiveMessage" ? { status: 500, type: "InternalError" } : undefined;

    const outcome = exportMessages({
      sqs: bare.proxy.client(),
      dlqUrl: bare.sqs.dlqUrl,
      filter: {},
      out,
      waitTimeSeconds: 0,
    });

    await expect(outcome).rejects.toMatchObject({ name: "InternalError" });
    expect(readFileSync(out, "utf8")).toBe("old\n");
    expect(readdirSync(dir)).toStrictEqual(["kept.jsonl"]);
  });
});
