import { defineConfig } from "tsdown";
import { base } from "../../tsdown.base";

export default defineConfig({
  ...base,
  entry: {
    index: "src/index.ts",
    internal: "src/internal.ts",
    testing: "src/testing/index.ts",
    browser: "src/browser.ts",
  },
});
