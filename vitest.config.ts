import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["kysely/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "worker/test/**/*.test.ts"],
    // Every file makes its own database; files run in parallel processes.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
