import { afterEach, describe, expect, it } from "vitest";
import { fnv1a } from "../../../lib/lambda/fnv1a.ts";
import { indexDuplicates } from "../../../lib/tools/csv-import/duplicates.ts";
import { type TempDir, tempDir } from "./support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

describe("indexDuplicates", () => {
  it("points every earlier row of an order at its last row, and counts the data rows", async () => {
    // Prepare
    dir = tempDir();
    const file = dir.write("d.csv", "public_id,c\nO1,a\nO2,a\n\nO1,b\n,x\n,y\nO1,c\nO3,a\n");

    // Act
    const index = await indexDuplicates(file);

    // Assess
    expect(index.rows).toBe(7);
    expect([2, 5, 8].map((line) => index.supersededBy("O1", line))).toStrictEqual([8, 8, undefined]);
    expect(index.supersededBy("O2", 3)).toBeUndefined();
    expect(index.supersededBy("O3", 9)).toBeUndefined();
  });

  it("decides among valid rows only: a rejected later row supersedes nothing", async () => {
    // Prepare: O1's line 4 has a value in a column without a header, O2's line 5 a bad id character
    dir = tempDir();
    const file = dir.write("r.csv", "public_id,c\nO1,a\nO2,a\nO1,b,extra\nO1,c\nO1,d,extra\n");

    // Act
    const index = await indexDuplicates(file);

    // Assess: line 5 is O1's last valid row; line 6 (rejected) takes nothing from it
    expect(index.supersededBy("O1", 2)).toBe(5);
    expect(index.supersededBy("O1", 5)).toBeUndefined();
    expect(index.supersededBy("O2", 3)).toBeUndefined();
  });

  it("tells apart ids whose 32-bit hashes collide", async () => {
    // Prepare: two different ids with the same FNV-1a hash (the first pair a birthday search over
    // `O<n>` finds, ~1M hashes in: searched once rather than on every run)
    const [a, b] = ["O299499", "O1003200"];
    dir = tempDir();
    const file = dir.write("c.csv", `public_id\n${a}\n${b}\n`);

    // Act
    const index = await indexDuplicates(file);

    // Assess
    expect(fnv1a(a)).toBe(fnv1a(b));
    expect(index.supersededBy(a, 2)).toBeUndefined();
    expect(index.supersededBy(b, 3)).toBeUndefined();
  });
});
