/**
 * `npm run deploy -- [cdk deploy options]`: `cdk deploy`, then, once it succeeded, records what holds
 * data in each deployed stack (`infra/stateful-resources.lock.json`), so the next synth refuses a
 * change that would replace it. Commit the lock file after a deploy.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { recordLock } from "../infra/stateful-lock.ts";

const args = process.argv.slice(2);
const deploy = spawnSync("cdk", ["deploy", "--outputs-file", "cdk-outputs.json", ...args], {
  stdio: "inherit",
  env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
});
if (deploy.status !== 0) process.exit(deploy.status ?? 1);

const outdir = outputDirectory(args);
const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
};
for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
  if (artifact.type !== "aws:cloudformation:stack" || artifact.properties?.templateFile === undefined)
    continue;
  const template = JSON.parse(readFileSync(join(outdir, artifact.properties.templateFile), "utf8"));
  const stackName = artifact.properties.stackName ?? id;
  recordLock(stackName, template);
  console.log(`recorded what holds data in ${stackName} in infra/stateful-resources.lock.json: commit it`);
}

/** The cloud assembly's directory: `-o`/`--output` if given, else cdk.out. */
function outputDirectory(argv: string[]): string {
  for (const [index, arg] of argv.entries()) {
    if (arg.startsWith("--output=")) return arg.slice("--output=".length);
    if (arg === "-o" || arg === "--output") return argv[index + 1] ?? "cdk.out";
  }
  return "cdk.out";
}
