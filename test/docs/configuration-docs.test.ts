import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stackConfigSchema } from "../../infra/config-schema.ts";
import { envName, type HandlerConfig, handlerConfigSchema } from "../../lib/lambda/config.ts";
import {
  CONFIG_DOCS_PATH,
  ConfigDocsError,
  renderBlocks,
  renderConfigDocs,
} from "../../scripts/config-docs.ts";

describe("docs/configuration.md", () => {
  it("holds the settings tables the schemas give", () => {
    // Prepare
    const page = readFileSync(CONFIG_DOCS_PATH, "utf8");

    // Act
    const current = renderConfigDocs(page);

    // Assess
    expect(
      page,
      `${CONFIG_DOCS_PATH}'s settings tables differ from the schemas: run \`npm run generate:config-docs\``,
    ).toBe(current);
  });

  it("lists every handler setting by its variable and every stack setting", () => {
    // Prepare
    const blocks = renderBlocks();
    const stackNames = Object.entries(stackConfigSchema.shape).flatMap(([key, field]) =>
      key === "tags" || key === "alarms"
        ? Object.keys((field.unwrap() as { shape: object }).shape).map((inner) => `${key}.${inner}`)
        : [key],
    );

    // Act
    const handlerRows = Object.keys(handlerConfigSchema.shape).filter((key) =>
      blocks["handler-settings"].includes(`| \`${envName(key as keyof HandlerConfig)}\` |`),
    );
    const stackRows = stackNames.filter((name) => blocks["stack-settings"].includes(`| \`${name}\` |`));

    // Assess
    expect(handlerRows).toStrictEqual(Object.keys(handlerConfigSchema.shape));
    expect(stackRows).toStrictEqual(stackNames);
  });

  it("refuses a page without the markers", () => {
    // Act
    const render = () => renderConfigDocs("# Configuration\n");

    // Assess
    expect(render).toThrow(ConfigDocsError);
  });
});
