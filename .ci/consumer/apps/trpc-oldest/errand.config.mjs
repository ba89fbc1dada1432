import { defineConfig } from "@errand/core";

export default defineConfig({
  backends: { default: { backend: "database", url: process.env.DATABASE_URL } },
  tasks: ["./tasks.mjs"],
});
