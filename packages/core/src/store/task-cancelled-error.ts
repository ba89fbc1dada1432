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

/** The texts of the `TaskCancelled` error of a task cancelled while RUNNING whose function still returned. */
export const cancelledWhileRunningText = {
  message:
    "Cancelled while running; the function returned anyway (it did not stop on its signal), so its result was dropped.",
  traceback: "TaskCancelled: cancelled while running; result dropped",
};

/** That error as both stores append it, for attempt `attempt`. */
export function cancelledWhileRunningError(attempt: number, failedAt = new Date()): TaskErrorRow {
  return {
    exceptionClass: "TaskCancelled",
    message: cancelledWhileRunningText.message,
    traceback: cancelledWhileRunningText.traceback,
    attempt,
    failedAt: failedAt.toISOString(),
  };
}
