import { TaskCancelled } from "@errand/core";
import { type TaskStore, toErrandError } from "@errand/core/internal";
import type { Logger } from "./logger";

/** What the watcher needs of a running attempt. */
export interface CancellableAttempt {
  readonly task: { id: string; taskName: string };
  abort(reason: Error): void;
}

export interface CancelWatcherOptions {
  store: TaskStore;
  workerId: string;
  /** The attempt running a task in this worker, if any. */
  running: (taskId: string) => CancellableAttempt | undefined;
  /** How many attempts run now (the poll asks nothing of the database when none do). */
  runningCount: () => number;
  /** Seconds between polls for cancels whose notification was missed. */
  pollSeconds: number;
  logger: Logger;
}

/**
 * Aborts the tasks this worker runs whose cancel was asked for, from any process
 * (`result.cancel()`, `backend.cancel(id)`, the tRPC `cancel`): their `signal` aborts with
 * `TaskCancelled`, the attempt fails with it, and the store keeps it FAILED (no retry).
 *
 * A cancel reaches it two ways: the `errand_cancel` notification (`notice(id)`, within
 * milliseconds; every worker hears every cancel and acts on its own tasks only), and a poll
 * of the tasks it holds with a cancel recorded, every `pollSeconds` while it runs any, for a
 * notification missed while the LISTEN connection was down. A task claimed ahead and not yet
 * started is left to the store: released, or completed, it is stored FAILED.
 *
 * @example
 * const watcher = new CancelWatcher({ store, workerId, running: (id) => attempts.get(id), runningCount: () => attempts.size, pollSeconds: 1, logger });
 * watcher.start();
 * // the LISTEN connection's handler for CANCEL_CHANNEL ("errand_cancel"):
 * onNotification = (id) => watcher.notice(id);
 */
export class CancelWatcher {
  readonly #options: CancelWatcherOptions;
  #timer: ReturnType<typeof setInterval> | null = null;
  #polling = false;

  constructor(options: CancelWatcherOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.poll(), Math.max(this.#options.pollSeconds * 1000, 10));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** A cancel of task `taskId` was announced: abort it if it runs here. */
  notice(taskId: string, via: "notification" | "poll" = "notification"): void {
    const attempt = this.#options.running(taskId);
    if (!attempt) return;
    this.#options.logger.info("task cancelled; aborting its signal", {
      taskId,
      taskName: attempt.task.taskName,
      via,
    });
    attempt.abort(new TaskCancelled(taskId));
  }

  /** Asks the store which tasks this worker holds have a cancel recorded, and aborts them. */
  async poll(): Promise<void> {
    if (this.#polling || this.#options.runningCount() === 0) return;
    this.#polling = true;
    try {
      const ids = await this.#options.store.taskCancelRequested({ workerId: this.#options.workerId });
      for (const id of ids) this.notice(id, "poll");
    } catch (error) {
      this.#options.logger.warn("could not check for cancelled tasks; will try again", {
        error: toErrandError(error).message,
      });
    } finally {
      this.#polling = false;
    }
  }
}
