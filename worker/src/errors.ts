import { ERROR_CODES, ErrandError, InvalidConfig } from "@errand/core";

/**
 * Stored as the error of an attempt the worker aborted because it was shutting down and
 * the grace period ran out. The task is retried at once (it did not fail on its own).
 */
export class WorkerShutdown extends ErrandError {
  readonly workerId: string;
  constructor(workerId: string, graceSeconds: number) {
    super(
      ERROR_CODES.TASK_CANCELLED,
      `Worker ${workerId} shut down and this attempt was still running after the ${graceSeconds} s grace period; its signal was aborted and the task will be retried.`,
    );
    this.workerId = workerId;
  }
}

/**
 * The reason a task's signal is aborted when its lease lapsed and another worker may have
 * taken it over: this worker's result would be dropped anyway.
 */
export class LeaseLost extends ErrandError {
  readonly taskId: string;
  constructor(taskId: string, workerId: string) {
    super(
      ERROR_CODES.LEASE_EXPIRED,
      `Worker ${workerId} lost the lease on task ${taskId} (it could not renew it in time); another worker may run it, so this run's result will be dropped.`,
    );
    this.taskId = taskId;
  }
}

/**
 * An option of `new Worker()` (its `retention` and `schedules` included) or a flag of
 * `errand worker` is unknown or invalid; `option` (also `setting`) is its path.
 */
export class InvalidWorkerOption extends InvalidConfig {
  readonly option: string;
  constructor(option: string, message: string) {
    super(option, message);
    this.option = option;
  }
}
