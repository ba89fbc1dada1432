import { defineConfig } from "@errand/core";
import { heartbeat } from "./tasks/demo-tasks";

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
  // One task a minute, however many workers run; `errand schedules` lists the next runs.
  schedules: [
    { name: "demo.heartbeat", task: heartbeat, cron: "* * * * *", timezone: "Europe/Paris", args: ["schedule"] },
  ],
  // Limits that hold across every worker: at most 2 welcome emails sending at once, and at
  // most 60 started per minute. The dashboard's Queues panel shows both.
  queues: {
    email: { concurrency: 2, rateLimit: { limit: 60, periodSeconds: 60 } },
  },
  // Workers delete finished tasks past these ages, in small batches.
  retention: { successfulDays: 7, failedDays: 30 },
});
