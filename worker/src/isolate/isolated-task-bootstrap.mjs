// The entry of an `isolate: "thread"` task's thread: plain JavaScript, so it loads the same
// way from the sources and from the built package (copied to dist/ beside the bundled code).
// From the sources the thread's code is TypeScript: Node does not hand the parent's tsx
// loader to threads, so it is registered here first.
import { workerData } from "node:worker_threads";

const { entry } = workerData;
if (entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(entry);
