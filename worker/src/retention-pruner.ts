import type { Kysely } from "kysely";
import type { Database } from "@errand/db";
import { type RetentionSettings } from "@errand/core";
import { checkOptions, RETENTION_RULE, type TaskStore, toErrandError } from "@errand/core/internal";
import { workerSurface } from "./worker-surface";
import type { Logger } from "./logger";

const DAY_SECONDS = 24 * 60 * 60;

/** Retention as a worker runs it: checked, in seconds, defaults applied. */
export interface ResolvedRetention {
  successfulSeconds: number | null;
  failedSeconds: number | null;
  batchSize: number;
  intervalSeconds: number;
}

/**
 * Checks `retention` (from `errand.config.ts` or `new Worker({ retention })`); `null` when
 * it keeps everything.
 *
 * @throws InvalidWorkerOption naming the setting and what it must be (`RETENTION_OPTIONS`).
 * @example
 * resolveRetention({ successfulDays: 7 }); // { successfulSeconds: 604800, failedSeconds: null, batchSize: 1000, intervalSeconds: 300 }
 */
export function resolveRetention(retention: RetentionSettings | undefined): ResolvedRetention | null {
  if (retention === undefined) return null;
  checkOptions({ retention }, { retention: RETENTION_RULE }, workerSurface());
  const days = (value: number | undefined) => (value == null ? null : value * DAY_SECONDS);
  const resolved = {
    successfulSeconds: days(retention.successfulDays),
    failedSeconds: days(retention.failedDays),
    batchSize: retention.batchSize ?? 1000,
    intervalSeconds: retention.intervalSeconds ?? 300,
  };
  return resolved.successfulSeconds === null && resolved.failedSeconds === null ? null : resolved;
}

/** What a pruning run deleted. */
export interface RetentionRun {
  successful: number;
  failed: number;
  batches: number;
  /** Another worker was pruning: this run deleted nothing. */
  skipped: boolean;
}

export interface RetentionPrunerOptions {
  /** Where the run is recorded (`errand_maintenance`, for `errand status`). */
  db: Kysely<Database>;
  /** What deletes: its `taskRetentionPrune`, one batch at a time. */
  store: TaskStore;
  retention: ResolvedRetention;
  workerId: string;
  logger: Logger;
}

/**
 * Deletes finished tasks past their retention, from a worker: every `intervalSeconds` (and
 * once soon after start) a run deletes batches of `batchSize` until one comes back short.
 * Each batch is one `taskRetentionPrune` of the task store (in Postgres its own short
 * transaction under the `errand_retention` advisory lock), so one worker prunes at a time and claims never queue behind a
 * huge delete. A run logs its counts and records them in `errand_maintenance` for
 * `errand status`.
 *
 * @example
 * const pruner = new RetentionPruner({ db, store, retention: resolveRetention({ successfulDays: 7 })!, workerId, logger });
 * pruner.start();
 */
export class RetentionPruner {
  readonly #options: RetentionPrunerOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<RetentionRun> | null = null;
  #stopped = false;

  constructor(options: RetentionPrunerOptions) {
    this.#options = options;
  }

  /** Runs soon (after a random 0–5 s, so a fleet started together does not line up), then every interval. */
  start(): void {
    this.#schedule(Math.random() * Math.min(5, this.#options.retention.intervalSeconds));
  }

  /** Stops scheduling runs and waits for a run in progress (it stops after its current batch). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  #schedule(seconds: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.run()
        .catch((error: unknown) =>
          this.#options.logger.warn("retention run failed; will try again", { error: toErrandError(error).message }),
        )
        .finally(() => this.#schedule(this.#options.retention.intervalSeconds));
    }, seconds * 1000);
    this.#timer.unref();
  }

  /** One pruning run: batches until one comes back short, another worker holds the lock, or `stop()`. */
  run(): Promise<RetentionRun> {
    this.#running ??= this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  async #run(): Promise<RetentionRun> {
    const { db, store, retention, workerId, logger } = this.#options;
    const run: RetentionRun = { successful: 0, failed: 0, batches: 0, skipped: false };
    for (;;) {
      const batch = await store.taskRetentionPrune({
        successfulSeconds: retention.successfulSeconds,
        failedSeconds: retention.failedSeconds,
        limit: retention.batchSize,
      });
      if (batch === null) {
        run.skipped = run.batches === 0;
        break;
      }
      run.batches += 1;
      run.successful += batch.successful;
      run.failed += batch.failed;
      if (batch.successful + batch.failed < retention.batchSize || this.#stopped) break;
      // Let the worker's own statements through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (run.skipped) {
      logger.debug("retention: another worker is pruning");
      return run;
    }
    const deleted = run.successful + run.failed;
    const counts = { successful: run.successful, failed: run.failed, batches: run.batches };
    if (deleted > 0) logger.info("retention pruned", counts);
    else logger.debug("retention pruned", counts);
    const details = JSON.stringify({ successful: run.successful, failed: run.failed, batches: run.batches });
    await db
      .insertInto("errand_maintenance")
      .values({ name: "retention", worker_id: workerId, details, ran_at: new Date() })
      .onConflict((oc) => oc.column("name").doUpdateSet({ worker_id: workerId, details, ran_at: new Date() }))
      .execute();
    return run;
  }
}
