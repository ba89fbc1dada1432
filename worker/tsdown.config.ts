import { defineConfig } from "tsdown";
import { base } from "../tsdown.base";

export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  // The lease heartbeat's thread is plain JavaScript, loaded by URL beside the bundled code.
  copy: [{ from: "src/heartbeat/heartbeat-thread.mjs" }],
});
