import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The suites start real servers (fauxqs, the Spot sandbox) on free ports; two cores are enough.
    pool: "forks",
  },
});
