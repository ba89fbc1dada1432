import type { NextConfig } from "next";

/**
 * The workspace packages ship TypeScript sources (`exports` → `./src/index.ts`), so Next
 * compiles them. The Postgres driver stays a plain Node require.
 */
const nextConfig: NextConfig = {
  transpilePackages: ["@errand/core", "@errand/db", "@errand/trpc", "@errand/react", "@errand/worker"],
  serverExternalPackages: ["pg", "kysely"],
  // `next dev` on http://127.0.0.1:PORT never hydrates without this.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
