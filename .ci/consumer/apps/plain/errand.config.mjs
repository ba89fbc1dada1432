import { defineConfig } from "@errand/core";

export default defineConfig({
  // listenUrl: where workers LISTEN (a direct connection when url is a pooler such as PgBouncer).
  backends: { default: { backend: "database", url: process.env.DATABASE_URL, listenUrl: process.env.DATABASE_URL } },
  tasks: ["./tasks.mjs"],
});
