import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/** Workspace packages resolve to their TypeScript sources (the `@errand/source` export condition): tests need no build. */
// Not "module": Vitest hands these to Node as --conditions too, and Node would then load
// packages' bundler-only ESM builds (@opentelemetry/api's, whose imports lack extensions).
const conditions = ["@errand/source", ...defaultServerConditions.filter((c) => c !== "module")];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "libraries",
          include: ["kysely/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "web/test/**/*.test.ts"],
          // Type tests (*.test-d.ts) run through tsc: expectTypeOf and @ts-expect-error fail the run.
          typecheck: { enabled: true, include: ["packages/*/test/**/*.test-d.ts"], tsconfig: "tsconfig.json" },
        },
      },
      {
        extends: true,
        test: {
          name: "worker",
          include: ["worker/test/**/*.test.ts"],
          // Fails a test that leaves a worker running: only the worker's tests start workers.
          setupFiles: ["worker/test/setup-leak-guard.ts"],
        },
      },
    ],
    // Every file makes its own database; files run in parallel processes.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // CI reads a plain "N passed, N failed" line that .ci/run prints from this report.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".ci/out/vitest.json" }]] : ["default"],
  },
});
