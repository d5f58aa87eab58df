/** The list the suite starts first names test files that exist: a renamed file would drop out unseen. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { LONGEST } from "./longest-files.ts";

it("names each of its test files once, and each exists", () => {
  const root = join(import.meta.dirname, "..");

  expect(LONGEST.filter((path) => !path.endsWith(".test.ts") || !existsSync(join(root, path)))).toStrictEqual(
    [],
  );
  expect(new Set(LONGEST).size).toBe(LONGEST.length);
});
