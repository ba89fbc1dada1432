import type { TaskStatus } from "@errand/db";

/**
 * The statuses and which of them are final, in one place: the stores, `TaskResult`, the worker,
 * the tRPC router and the React hooks read them from here (the browser through
 * `@errand/core/browser`). The schema's CHECK constraints and triggers hold the same list as
 * literals; `packages/core/test/task-status.test.ts` checks that they agree.
 *
 * @example
 * if (isFinishedStatus(record.status)) stopPolling();
 */

/** The statuses, in the order a task can reach them. */
export const TASK_STATUSES = ["PENDING", "RUNNING", "SUCCESSFUL", "FAILED"] as const satisfies readonly TaskStatus[];

/** The statuses a task ends in: it has a `finishedAt`, never runs again unless retried, and may be pruned. */
export const FINISHED_STATUSES = ["SUCCESSFUL", "FAILED"] as const satisfies readonly TaskStatus[];

/** `SUCCESSFUL` or `FAILED`. */
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

/**
 * Whether a task with this status has finished (`SUCCESSFUL` or `FAILED`); `undefined` (not
 * loaded yet) has not.
 *
 * @example
 * isFinishedStatus("FAILED"); // true
 * isFinishedStatus("RUNNING"); // false
 */
export function isFinishedStatus(status: string | null | undefined): status is FinishedStatus {
  return (FINISHED_STATUSES as readonly (string | null | undefined)[]).includes(status);
}
