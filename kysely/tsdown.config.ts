import { defineConfig } from "tsdown";
import { base } from "../tsdown.base";

export default defineConfig({ ...base, entry: { index: "src/index.ts", testing: "src/testing/index.ts" } });
