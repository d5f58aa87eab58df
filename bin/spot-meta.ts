#!/usr/bin/env node
// The `spot-meta` command: the program is lib/cli/program.ts, its subcommands live in lib/cli/.
import { enableCompileCache } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Starting compiles a few hundred modules (the AWS SDK, zod, commander): Node's compile cache (in the
// system's temporary directory; NODE_COMPILE_CACHE names another) halves that from the second run
// on. Enabled before the CLI's modules load, hence the dynamic import. Set as the variable too: the
// import's worker thread reads that, not this call (it started on 0.6 s of CPU, not 0.35).
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "node-compile-cache");
enableCompileCache();
const { spotMetaProgram } = await import("../lib/cli/program.ts");
await (await spotMetaProgram(process.argv[2])).parseAsync();
