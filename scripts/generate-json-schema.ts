// Regenerates schema/update-message.schema.json from the zod contract: `npm run generate:schema`.
import { writeFileSync } from "node:fs";
import { JSON_SCHEMA_PATH, renderJsonSchema } from "../lib/lambda/json-schema.ts";

writeFileSync(JSON_SCHEMA_PATH, renderJsonSchema());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
