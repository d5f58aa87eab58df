/** The import's progress says what happened to the rows: a dry run queues none, and never says so. */
import { describe, expect, it } from "vitest";
import { createProgress, type ProgressCounts } from "../../../lib/tools/csv-import/progress.ts";
import { terminal } from "../../support/terminal.ts";

const counts: ProgressCounts = { total: 10, read: 5, queued: 5, rejected: 0, superseded: 0 };

describe("the import's progress", () => {
  it.each(["lines", "bar"] as const)("of a dry run says 'would queue', never 'queued' (%s)", (mode) => {
    // Prepare
    const { stream, raw } = terminal();
    const progress = createProgress(mode, stream, 0, true);

    // Act
    progress.update(counts);
    progress.stop();

    // Assess
    expect(raw()).toContain("would queue");
    expect(raw().replaceAll("would queue", "")).not.toContain("queued");
  });

  it("of an import that sends says 'queued'", () => {
    const { stream, raw } = terminal();
    const progress = createProgress("lines", stream, 0);

    progress.update(counts);
    progress.stop();

    expect(raw()).toContain("5 queued");
  });
});
