import { defineConfig } from "@errand/core";
import { add } from "./tasks.mjs";

export default defineConfig({
  // listenUrl: where workers LISTEN (a direct connection when url is a pooler such as PgBouncer).
  backends: { default: { backend: "database", url: process.env.DATABASE_URL, listenUrl: process.env.DATABASE_URL } },
  tasks: ["./tasks.mjs"],
  schedules: [{ name: "consumer.nightly", task: add, cron: "30 2 * * *", timezone: "Europe/Paris", args: [1, 1] }],
  retention: { successfulDays: 7, failedDays: 30 },
});
