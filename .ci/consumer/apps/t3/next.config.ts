import type { NextConfig } from "next";

// Deliberately empty: no transpilePackages, no serverExternalPackages, no aliases.
const nextConfig: NextConfig = {};

export default nextConfig;
