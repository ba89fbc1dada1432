import type { TaskErrorRow } from "@errand/db";

/**
 * The error a task whose lease lapsed gets, as both stores append it: which worker
 * dropped it, and when. The Postgres store builds it per row in SQL from the same texts
 * (`leaseExpiredText`), so the two stores cannot word it differently.
 *
 * @example
 * leaseExpiredError({ lockedBy: "host-1-ab", lockedUntil, attempt: 2 });
 */
export function leaseExpiredError(
  task: { lockedBy: string; lockedUntil: Date; attempt: number },
  failedAt = new Date(),
): TaskErrorRow {
  return {
    exceptionClass: "LeaseExpired",
    message: leaseExpiredText.message(task.lockedBy),
    traceback: leaseExpiredText.traceback(task.lockedBy, task.lockedUntil.toISOString()),
    attempt: task.attempt,
    failedAt: failedAt.toISOString(),
  };
}

/** The texts of a `LeaseExpired` error, given the worker that held the lease and when it lapsed. */
export const leaseExpiredText = {
  message: (worker: string) =>
    `Worker ${worker} stopped renewing its lease (killed, or cut off from the database) while running this attempt.`,
  traceback: (worker: string, lapsedAt: string) => `LeaseExpired: lease held by ${worker} lapsed at ${lapsedAt}`,
};
