/** The JSON Schema of the message contract, for producers that are not written in TypeScript. */
import * as z from "zod";
import { updateMessageSchema } from "./contract.ts";

/** Where the generated schema is committed (relative to the project root). */
export const JSON_SCHEMA_PATH = "schema/update-message.schema.json";

/** Renders the contract as a JSON Schema (draft 2020-12) document, as written to {@link JSON_SCHEMA_PATH}. */
export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(updateMessageSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify({ $id: "https://spot-order-metadata/update-message.v1.json", ...schema }, null, 2)}\n`;
}
