import type { Kysely } from "kysely";
import { CANCEL_CHANNEL, type Database } from "@errand/db";
import { type TaskStore, toErrandError } from "@errand/core/internal";
import { CancelWatcher, type CancellableAttempt } from "./cancel-watcher";
import { CountsCompactor } from "./counts-compactor";
import type { Logger } from "./logger";
import { RetentionPruner, type ResolvedRetention } from "./retention-pruner";
import { Scheduler, type ResolvedSchedule } from "./scheduler";

export interface BackgroundJobsOptions {
  db: Kysely<Database>;
  store: TaskStore;
  workerId: string;
  /** The attempt running a task in this worker, if any, and how many run. */
  running: (taskId: string) => CancellableAttempt | undefined;
  runningCount: () => number;
  pollSeconds: number;
  retention: ResolvedRetention | null;
  /** Empty in batch mode: a batch worker enqueues no ticks. */
  schedules: ResolvedSchedule[];
  logger: Logger;
}

/**
 * What a worker does beside running tasks, wired from `Worker` in one place: the cancel
 * watcher (with the LISTEN channel it needs), the retention pruner, the cron scheduler and
 * the compaction of the dashboard's counters.
 *
 * @example
 * const jobs = new BackgroundJobs({ db, store, workerId, running, runningCount, pollSeconds: 1, retention, schedules, logger });
 * new NotifyListener({ ..., channels: jobs.channels, onReconnect: () => jobs.onReconnect() });
 * jobs.start();
 */
export class BackgroundJobs {
  readonly cancels: CancelWatcher;
  readonly retention: RetentionPruner | null;
  readonly counts: CountsCompactor;
  readonly scheduler: Scheduler | null;
  readonly #logger: Logger;

  constructor(options: BackgroundJobsOptions) {
    const { db, workerId, logger } = options;
    this.#logger = logger;
    this.cancels = new CancelWatcher({
      store: options.store,
      workerId,
      running: options.running,
      runningCount: options.runningCount,
      pollSeconds: options.pollSeconds,
      logger,
    });
    this.retention = options.retention
      ? new RetentionPruner({ db, store: options.store, retention: options.retention, workerId, logger })
      : null;
    this.counts = new CountsCompactor({ store: options.store, logger });
    this.scheduler = options.schedules.length > 0 ? new Scheduler({ db, schedules: options.schedules, logger }) : null;
  }

  /** The LISTEN channels these jobs need, with their handlers. */
  get channels(): Record<string, (payload: string) => void> {
    return { [CANCEL_CHANNEL]: (id) => this.cancels.notice(id) };
  }

  /** Notifications sent while the LISTEN connection was down were lost: poll for cancels now. */
  onReconnect(): void {
    void this.cancels.poll();
  }

  start(): void {
    this.cancels.start();
    this.retention?.start();
    this.counts.start();
    this.scheduler?.start().catch((error: unknown) =>
      this.#logger.error("schedules could not start; they run on the other workers", {
        error: toErrandError(error).message,
      }),
    );
  }

  async stop(): Promise<void> {
    this.cancels.stop();
    await Promise.all([this.retention?.stop(), this.scheduler?.stop(), this.counts.stop()]);
  }
}
