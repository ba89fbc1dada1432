import type { ErrandSettings } from "./configure";

/** What `errand.config.ts` exports: the settings plus the modules that define tasks. */
export interface ErrandConfig extends ErrandSettings {
  /**
   * Modules to import so their tasks register, relative to the config file (Django's
   * `tasks.py` discovery). The worker imports them before it runs anything.
   */
  tasks?: string[] | undefined;
}

/**
 * Types an `errand.config.ts`.
 *
 * @example
 * // errand.config.ts
 * export default defineConfig({
 *   backends: { default: { backend: "database", url: process.env.DATABASE_URL } },
 *   tasks: ["./src/tasks.ts"],
 * });
 */
export function defineConfig(config: ErrandConfig): ErrandConfig {
  return config;
}
