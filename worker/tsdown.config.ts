import { defineConfig } from "tsdown";
import { base } from "../tsdown.base";

export default defineConfig({
  ...base,
  entry: {
    index: "src/index.ts",
    cli: "src/cli.ts",
    // The thread of an `isolate: "thread"` task, imported by URL by its bootstrap (copied below).
    "isolated-task-thread": "src/isolate/isolated-task-thread.ts",
  },
  // The lease heartbeat's thread is plain JavaScript, loaded by URL beside the bundled code.
  copy: [{ from: "src/heartbeat/heartbeat-thread.mjs" }, { from: "src/isolate/isolated-task-bootstrap.mjs" }],
});
