/** The orders `verify --file` checks: the file's last valid row of each order, as the import sent them. */
import { afterEach, describe, expect, it } from "vitest";
import { fileSteps } from "../../../lib/tools/verify/file-source.ts";
import { type TempDir, tempDir } from "../csv-import/support/files.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

describe("fileSteps", () => {
  it("checks an order against its last valid row, not against a later rejected one", async () => {
    // Prepare: O1's line 2 is valid, its line 4 has an extra column (the import rejects it)
    dir = tempDir();
    const file = dir.write("v.csv", "public_id,clinic\nO1,north\nO2,south\nO1,east,extra\n");

    // Act
    const { rows, steps } = await fileSteps({ file, from: 0 });
    const subjects = [];
    for await (const step of steps) if (step.subject !== undefined) subjects.push(step.subject);

    // Assess
    expect(rows).toBe(3);
    expect(subjects).toStrictEqual([
      { publicId: "O1", expected: { kind: "row", metadata: { clinic: "north" }, line: 2 } },
      { publicId: "O2", expected: { kind: "row", metadata: { clinic: "south" }, line: 3 } },
    ]);
  });
});
