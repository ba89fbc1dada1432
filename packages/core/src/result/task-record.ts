import type { TaskStatus } from "@errand/db";

export type { TaskStatus };

/** The statuses, in the order a task can reach them. */
export const TASK_STATUSES = ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"] as const satisfies readonly TaskStatus[];

/** One failed attempt: what was thrown, with its full stack (causes included). */
export interface TaskError {
  /** The thrown error's class name (`error.name`, else its constructor's name). */
  exceptionClass: string;
  message: string;
  /** The full stack, with `Caused by:` sections for each `cause`. */
  traceback: string;
  /** The attempt (1-based) that threw. */
  attempt: number;
  failedAt: Date;
}

/** How far a running task says it is (`context.setProgress(done, total)`). */
export interface TaskProgress {
  done: number;
  total: number | null;
}

/** Who asked for a task, e.g. `{ type: "user", id: "42" }`. Stored and shown. */
export interface TaskCreator {
  type: string;
  id: string;
}

/**
 * A snapshot of one task's row, in the shape every backend returns. `TaskResult` wraps
 * one; the tRPC router sends one (its dates as ISO strings).
 */
export interface TaskRecord {
  id: string;
  taskName: string;
  queueName: string;
  backend: string;
  priority: number;
  args: unknown[];
  status: TaskStatus;
  runAfter: Date;
  enqueuedAt: Date;
  startedAt: Date | null;
  lastAttemptedAt: Date | null;
  finishedAt: Date | null;
  attempts: number;
  maxAttempts: number;
  workerIds: string[];
  /** `undefined` unless the task succeeded. */
  returnValue: unknown;
  errors: TaskError[];
  progress: TaskProgress | null;
  /** Seconds between runs of a repeating task. */
  repeat: number | null;
  repeatUntil: Date | null;
  verboseName: string | null;
  creator: TaskCreator | null;
}
