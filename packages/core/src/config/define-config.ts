import type { AnyTask } from "../task/task";
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
  /**
   * Cron schedules: each tick enqueues one task, however many workers run. Checked when a
   * worker starts; `errand schedules` lists them with their next runs.
   */
  schedules?: ScheduleDefinition[] | undefined;
}

/**
 * A cron schedule of `errand.config.ts`.
 *
 * @example
 * { name: "reports.daily", task: sendDailyReport, cron: "0 9 * * 1-5", timezone: "Europe/Paris", args: [] }
 */
export interface ScheduleDefinition {
  /** Stable and unique: what the ticks are recorded under. */
  name: string;
  /** The task each tick enqueues (on its own queue, priority and backend). */
  task: AnyTask;
  /** Five fields (minute hour day month weekday), or six with seconds first (croner syntax). */
  cron: string;
  /** IANA time zone the cron fields are read in, across DST changes. Default "UTC". */
  timezone?: string | undefined;
  /** The task's arguments (JSON). Default none. */
  args?: unknown[] | undefined;
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
