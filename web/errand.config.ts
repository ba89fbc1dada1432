import { defineConfig } from "@errand/core";

/**
 * Shared by the web app (lib/errand.ts) and the worker (`errand worker --config
 * web/errand.config.ts`): the same backends, and the task modules the worker imports.
 * With DATABASE_URL unset, both use the embedded Postgres under .errand/.
 */
export default defineConfig({
  backends: {
    default: { backend: "database", url: process.env.DATABASE_URL },
  },
  tasks: ["./tasks/demo-tasks.ts"],
});
