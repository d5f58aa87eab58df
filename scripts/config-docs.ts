/**
 * Renders the settings tables of docs/configuration.md from the zod schemas: the handler's
 * (lib/lambda/config.ts, by environment variable) and the stack's (infra/config-schema.ts, by CDK
 * context key). Each setting's description is its schema's `.describe()` text; its default is what
 * the schema gives for a missing value, or a `defaultText` in its metadata when the default is
 * derived from other settings.
 */
import * as z from "zod";
import { CONTEXT_KEY, STACK_OWNED_HANDLER_SETTINGS, stackConfigSchema } from "../infra/config-schema.ts";
import { envName, type HandlerConfig, handlerConfigSchema } from "../lib/lambda/config.ts";

/** Where the tables are written (relative to the project root). */
export const CONFIG_DOCS_PATH = "docs/configuration.md";

/** The blocks the generator owns, each between `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
const CONFIG_DOCS_BLOCKS = ["handler-settings", "stack-settings"] as const;

type Block = (typeof CONFIG_DOCS_BLOCKS)[number];

interface Row {
  name: string;
  defaultText: string;
  description: string;
}

/** Thrown when a setting has no description, or the page lacks a block's markers. */
export class ConfigDocsError extends Error {
  override readonly name = "ConfigDocsError";
}

/** The generated text of each block (without its markers). */
export function renderBlocks(): Record<Block, string> {
  const handlerRows = settingRows(handlerConfigSchema.shape, "").map((row) => ({
    ...row,
    name: envName(row.name as keyof HandlerConfig),
  }));
  const stackRows = settingRows(stackConfigSchema.shape, "");
  const stackOwned = STACK_OWNED_HANDLER_SETTINGS.map((key) => `\`${key}\``).join(", ");
  return {
    "handler-settings": table("variable", handlerRows),
    "stack-settings": [
      table(`setting (\`${CONTEXT_KEY}.…\`)`, stackRows),
      "",
      `Under \`handler\`, every handler setting but those the stack fills in itself, from what it creates and from the settings above (the token is never put in the function's environment): ${stackOwned}.`,
    ].join("\n"),
  };
}

/**
 * Returns `page` with every generated block replaced by its current text.
 * @throws {ConfigDocsError} when a block's markers are missing or out of order.
 */
export function renderConfigDocs(page: string): string {
  const blocks = renderBlocks();
  let result = page;
  for (const block of CONFIG_DOCS_BLOCKS) {
    const start = `<!-- ${block}:start -->`;
    const end = `<!-- ${block}:end -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from === -1 || to < from) {
      throw new ConfigDocsError(`${CONFIG_DOCS_PATH}: needs the markers ${start} and ${end}, in that order`);
    }
    result = `${result.slice(0, from + start.length)}\n${blocks[block]}\n${result.slice(to)}`;
  }
  return result;
}

function settingRows(shape: Record<string, z.ZodType>, prefix: string): Row[] {
  return Object.entries(shape).flatMap(([key, field]) => {
    const name = `${prefix}${key}`;
    const nested = objectShape(field);
    if (nested !== undefined) return settingRows(nested, `${name}.`);
    const meta = field.meta() ?? {};
    if (typeof meta.description !== "string" || meta.description === "") {
      throw new ConfigDocsError(`${name}: has no description (add .describe("…") to its schema)`);
    }
    const defaultText = typeof meta.defaultText === "string" ? meta.defaultText : defaultOf(key, field);
    return [{ name, defaultText, description: meta.description }];
  });
}

/** The shape of an object setting (through its default), so that its fields get rows of their own. */
function objectShape(field: z.ZodType): Record<string, z.ZodType> | undefined {
  let schema: z.ZodType = field;
  while (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodOptional
  ) {
    schema = schema.unwrap() as z.ZodType;
  }
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : undefined;
}

function defaultOf(key: string, field: z.ZodType): string {
  const missing = field.safeParse(undefined);
  if (!missing.success) return "required";
  if (missing.data === undefined) return "—";
  const text = `\`${JSON.stringify(missing.data).replace(/^"(.*)"$/, "$1")}\``;
  const duration = typeof missing.data === "number" ? durationOf(key, missing.data) : undefined;
  return duration === undefined ? text : `${text} (${duration})`;
}

/** A human reading of a default of seconds that is a whole number of hours or days. */
function durationOf(key: string, value: number): string | undefined {
  if (!key.endsWith("Seconds") || value < 3600) return undefined;
  if (value % 86_400 === 0) return plural(value / 86_400, "day");
  if (value % 3600 === 0) return plural(value / 3600, "hour");
  return undefined;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

function table(nameHeader: string, rows: Row[]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  return [
    `| ${nameHeader} | default | what it does |`,
    "| --- | --- | --- |",
    ...rows.map((row) => `| \`${row.name}\` | ${cell(row.defaultText)} | ${cell(row.description)} |`),
  ].join("\n");
}
