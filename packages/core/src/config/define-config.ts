import type { ErrandSettings } from "./configure";

/** What `errand.config.ts` exports: the settings plus the modules that define tasks. */
export interface ErrandConfig extends ErrandSettings {
  /**
   * Modules to import so their tasks register, relative to the config file (Django's
   * `tasks.py` discovery). The worker imports them before it runs anything.
   */
  tasks?: string[] | undefined;
  /**
   * How long finished tasks are kept: workers delete older ones in small batches, one
   * worker at a time. Leave a status out to keep its tasks.
   */
  retention?: RetentionSettings | undefined;
}

/** `retention` of `errand.config.ts` (and `new Worker({ retention })`). */
export interface RetentionSettings {
  /** Days a SUCCESSFUL task is kept after it finished. */
  successfulDays?: number | undefined;
  /** Days a FAILED task is kept after it finished. */
  failedDays?: number | undefined;
  /** Tasks deleted per statement. Default 1000. */
  batchSize?: number | undefined;
  /** Seconds between pruning runs. Default 300. */
  intervalSeconds?: number | undefined;
}

/**
 * Types an `errand.config.ts`.
 *
 * @example
 * // errand.config.ts
 * export default defineConfig({
 *   backends: { default: { backend: "database", url: process.env.DATABASE_URL } },
 *   tasks: ["./src/tasks.ts"],
 *   retention: { successfulDays: 7, failedDays: 30 },
 * });
 */
export function defineConfig(config: ErrandConfig): ErrandConfig {
  return config;
}
