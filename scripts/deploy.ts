/**
 * `npm run deploy -- [cdk deploy options]`: `cdk deploy`, then, once it succeeded, records what holds
 * data in each deployed stack (`infra/stateful-resources.lock.json`) under the account and region it
 * went to (from its `QueueArn` output), so the next synth for there refuses a change that would
 * replace it. Commit the lock file after a deploy.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentOfArn, lockKey, recordLock } from "../infra/stateful-lock.ts";

const args = process.argv.slice(2);
const outputsFile = optionValue(args, "--outputs-file") ?? "cdk-outputs.json";
const deploy = spawnSync("cdk", ["deploy", "--outputs-file", outputsFile, ...args], {
  stdio: "inherit",
  env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
});
if (deploy.status !== 0) process.exit(deploy.status ?? 1);

const outdir = optionValue(args, "--output", "-o") ?? "cdk.out";
const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, Record<string, string>>;
const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
};
for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
  if (artifact.type !== "aws:cloudformation:stack" || artifact.properties?.templateFile === undefined)
    continue;
  const stackName = artifact.properties.stackName ?? id;
  const queueArn = outputs[stackName]?.QueueArn;
  const environment = queueArn === undefined ? undefined : environmentOfArn(queueArn);
  if (environment === undefined) {
    console.error(
      `deployed ${stackName}, but ${outputsFile} does not say to which account and region (no QueueArn output): record it with npm run lock:record (docs/deploying.md, "What holds data stays")`,
    );
    process.exitCode = 1;
    continue;
  }
  const template = JSON.parse(readFileSync(join(outdir, artifact.properties.templateFile), "utf8"));
  const key = lockKey(stackName, environment);
  recordLock(key, template);
  console.log(`recorded what holds data in ${key} in infra/stateful-resources.lock.json: commit it`);
}

/** The value of an option given as `--name value` or `--name=value`. */
function optionValue(argv: string[], ...names: string[]): string | undefined {
  for (const [index, arg] of argv.entries()) {
    for (const name of names) {
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      if (arg === name) return argv[index + 1];
    }
  }
  return undefined;
}
