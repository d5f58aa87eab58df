/** `spot-meta --version` prints the package's version, from any directory, and nothing else. */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spotMeta } from "../support/spot-meta-cli.ts";

const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));

describe("spot-meta --version", () => {
  it.each(["--version", "-V"])("%s prints the version and exits 0", async (flag) => {
    const run = await spotMeta([flag], { cwd: tmpdir() }).done;
    expect(run).toStrictEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});
