import type { TaskErrorRow } from "@errand/db";

/**
 * The error a cancelled PENDING task is FAILED with, as both stores append it: the four
 * statuses stay the only ones, and the reason shows like any other failure.
 *
 * @example
 * taskCancelledError(); // { exceptionClass: "TaskCancelled", message: "Cancelled before it started.", attempt: 0, … }
 */
export function taskCancelledError(reason = "Cancelled before it started.", failedAt = new Date()): TaskErrorRow {
  return {
    exceptionClass: "TaskCancelled",
    message: reason,
    traceback: `TaskCancelled: ${reason}`,
    attempt: 0,
    failedAt: failedAt.toISOString(),
  };
}
