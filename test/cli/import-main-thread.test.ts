/**
 * `spot-meta import` sends from a worker thread, which loads the AWS SDK; its main thread only finds
 * the queue, draws the progress and prints the summary. Were the main thread to load the SDK too
 * (~0.1 s of CPU, and its memory, in every import), it would be for nothing. Read from the sources:
 * every module the command's module imports, and theirs, by their static `import … from` lines.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const COMMAND = join(import.meta.dirname, "..", "..", "lib", "cli", "import", "import-command.ts");
/** `import … from "x"` and `export … from "x"`, but not `import type`: those are gone at run time. */
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+"([^"]+)";/gms;

/** The packages `file` loads, through the project's own modules it imports. */
function packagesLoadedBy(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  for (const [, specifier = ""] of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
    if (specifier.startsWith(".")) {
      for (const name of packagesLoadedBy(resolve(dirname(file), specifier), seen)) packages.add(name);
    } else if (!specifier.startsWith("node:")) packages.add(specifier);
  }
  return packages;
}

describe("spot-meta import's main thread", () => {
  it("loads no AWS SDK: only the worker sends", () => {
    const packages = [...packagesLoadedBy(COMMAND)];

    expect(packages).toContain("commander");
    expect(packages.filter((name) => name.startsWith("@aws-sdk/"))).toStrictEqual([]);
  });
});
