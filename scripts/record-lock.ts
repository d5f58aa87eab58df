/**
 * `npm run lock:record -- <account>/<region>/<stack> <template.json>`: records what holds data in a
 * template under that key of `infra/stateful-resources.lock.json`, for a stack deployed by other means
 * than `npm run deploy` (its template from `aws cloudformation get-template`), or, under
 * `*` for the account and region, for the stack's design after a change acknowledged on purpose.
 */
import { readFileSync } from "node:fs";
import { recordLock } from "../infra/stateful-lock.ts";

const [key, templateFile] = process.argv.slice(2);
if (key === undefined || templateFile === undefined || !/^[^/]+\/[^/]+\/[^/]+$/.test(key)) {
  console.error(
    "usage: npm run lock:record -- <account>/<region>/<stack> <template.json>  (*/*/<stack>: the design)",
  );
  process.exit(1);
}
const parsed = JSON.parse(readFileSync(templateFile, "utf8")) as { TemplateBody?: unknown };
// `aws cloudformation get-template --output json` wraps the template in TemplateBody (as text, or parsed).
const body = parsed.TemplateBody ?? parsed;
const template = (typeof body === "string" ? JSON.parse(body) : body) as Parameters<typeof recordLock>[1];
recordLock(key, template);
console.log(`recorded what holds data in ${key} in infra/stateful-resources.lock.json: commit it`);
