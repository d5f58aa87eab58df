import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HANDLER_ENTRY, REPO_ROOT } from "../../infra/update-function.ts";
import { buildTestApp, cleanUp, withoutCfnValidation } from "./synth.ts";

afterAll(cleanUp);

const handlerMissing = !existsSync(HANDLER_ENTRY);
if (handlerMissing) console.warn(`skipping the bundle test: ${HANDLER_ENTRY} does not exist yet`);

/** The one test that runs esbuild: the others skip bundling to stay fast. */
describe("the function's bundle", () => {
  it.skipIf(handlerMissing)(
    "is a minified ES module with a source map, leaves the AWS SDK to the runtime, and loads exporting `handler`",
    () => {
      // Prepare
      const { app, outdir } = buildTestApp({}, { bundle: true, entry: HANDLER_ENTRY });

      // Act
      withoutCfnValidation(() => app.synth());
      const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));
      const assetDir = join(outdir, assets[0] ?? "missing");
      const bundle = readFileSync(join(assetDir, "index.mjs"), "utf8");
      const map = JSON.parse(readFileSync(join(assetDir, "index.mjs.map"), "utf8")) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      const sizeKb = Math.round(statSync(join(assetDir, "index.mjs")).size / 1024);
      console.info(`bundle: index.mjs ${sizeKb} KB (minified, ESM), ${map.sources.length} sources`);
      // Load it as the runtime does; the runtime provides the AWS SDK, the project's node_modules stands in.
      symlinkSync(join(REPO_ROOT, "node_modules"), join(outdir, "node_modules"));
      const script = `const m = await import(${JSON.stringify(join(assetDir, "index.mjs"))}); console.log(typeof m.handler);`;
      const loaded = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: "us-east-1",
          AWS_LAMBDA_FUNCTION_NAME: "spot-order-metadata-update-metadata",
          SPOT_META_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/spot-order-metadata-dlq",
          SPOT_META_SPOT_TOKEN_SECRET_ID: "arn:aws:secretsmanager:us-east-1:000000000000:secret:fake-AbC123",
        },
        encoding: "utf8",
        timeout: 15_000,
      });

      // Assess
      expect(assets).toHaveLength(1);
      expect(readdirSync(assetDir).sort()).toStrictEqual(["index.mjs", "index.mjs.map"]);
      expect(bundle.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
      expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      expect(map.sourcesContent).toBeUndefined();
      expect(map.sources.filter((source) => source.includes("node_modules/@aws-sdk/"))).toStrictEqual([]);
      expect(sizeKb).toBeLessThan(2048);
      expect(loaded.trim()).toBe("function");
    },
  );
});
