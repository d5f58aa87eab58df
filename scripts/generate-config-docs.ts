// Regenerates the settings tables of docs/configuration.md from the zod schemas: `npm run generate:config-docs`.
import { readFileSync, writeFileSync } from "node:fs";
import { CONFIG_DOCS_PATH, renderConfigDocs } from "./config-docs.ts";

writeFileSync(CONFIG_DOCS_PATH, renderConfigDocs(readFileSync(CONFIG_DOCS_PATH, "utf8")));
console.log(`wrote ${CONFIG_DOCS_PATH}`);
