import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base";

/**
 * One output file per source file (`unbundle`), so each keeps its own "use client"
 * directive: hooks and interactive components are client modules, the rest (formatters,
 * the status badge) stay usable from React Server Components.
 */
export default defineConfig({ ...base, platform: "neutral", entry: { index: "src/index.ts" }, unbundle: true });
