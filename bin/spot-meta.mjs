#!/usr/bin/env node
// The `spot-meta` command as npm links it. The CLI is TypeScript that Node 24 runs as it is (type
// stripping); this file is plain JavaScript so that an older Node, such as a machine's own reached
// through `npx --prefix <checkout>` (which leaves the checkout's Node 24 off the PATH), says in one
// line what to run instead of failing on the ".ts" file.
import { existsSync } from "node:fs";
import module from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED_MAJOR = 24;
if (Number(process.versions.node.split(".")[0]) < NEEDED_MAJOR) {
  const checkout = dirname(dirname(fileURLToPath(import.meta.url)));
  const node = join(checkout, "node_modules", ".bin", "node");
  const instead = existsSync(node)
    ? `run it with the checkout's: ${node} ${join(checkout, "bin", "spot-meta.ts")} … (or npx spot-meta … from inside ${checkout})`
    : `install the checkout's with npm ci in ${checkout}, then run npx spot-meta … from inside it`;
  process.stderr.write(
    `spot-meta needs Node ${NEEDED_MAJOR} or later, not ${process.versions.node} (${process.execPath}); ${instead}\n`,
  );
  process.exit(1);
}
// Before the TypeScript entry: from the cache, it loads without Node's type stripper (~0.05 s).
module.enableCompileCache();
await import("./spot-meta.ts");
