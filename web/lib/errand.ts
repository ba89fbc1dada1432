import { configure, getBackend, type DatabaseBackendLike } from "@errand/core";
import config from "../errand.config";

export * from "../tasks/demo-tasks";

// configure() replaces the backends each time it is called; Next may evaluate this module
// in more than one bundle of the same process, so configure exactly once.
const CONFIGURED = Symbol.for("errand.web.configured");
const state = globalThis as { [CONFIGURED]?: boolean };
if (!state[CONFIGURED]) {
  configure(config);
  state[CONFIGURED] = true;
}

/** The app's Kysely instance: Errand's database backend, shared with the task queue. */
export async function getDb() {
  const backend = getBackend("default") as DatabaseBackendLike;
  return backend.getDb();
}
