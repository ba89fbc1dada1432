import path from "node:path";
import type { NextConfig } from "next";

/**
 * This app is Errand's own demo: it compiles the workspace packages from their TypeScript
 * sources, so an edit shows without a package build. An app that installs Errand from npm
 * needs none of this: the packages ship built JavaScript (see the root README).
 */
const root = path.resolve(import.meta.dirname, "..");
// Relative to this folder, as Turbopack wants its aliases.
const source = (file: string) => `../${file}`;
const nextConfig: NextConfig = {
  turbopack: {
    root,
    resolveAlias: {
      "@errand/core": source("packages/core/src/index.ts"),
      "@errand/core/internal": source("packages/core/src/internal.ts"),
      "@errand/core/browser": source("packages/core/src/browser.ts"),
      "@errand/db": source("kysely/src/index.ts"),
      "@errand/trpc": source("packages/trpc/src/index.ts"),
      "@errand/react": source("packages/react/src/index.ts"),
    },
  },
  serverExternalPackages: ["pg", "kysely"],
  // `next dev` on http://127.0.0.1:PORT never hydrates without this.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
