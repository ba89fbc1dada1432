import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import type { Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { leaseExpiredText } from "../lease-expired-error";

const ISO_8601 = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
// The error's texts as templates, filled in per row: one wording for both stores.
const MESSAGE = leaseExpiredText.message("{worker}");
const TRACEBACK = leaseExpiredText.traceback("{worker}", "{lapsedAt}");

/**
 * Re-queues RUNNING tasks whose lease lapsed (their worker was killed or lost its
 * connection), counting the lost attempt: back to PENDING, due now, while attempts remain
 * and no cancel was asked for; else FAILED. A `LeaseExpired` error records which worker dropped it.
 *
 * Safe alongside the worker that lost the task: the lapsed rows are locked with
 * `FOR UPDATE SKIP LOCKED`, and that worker's later complete/fail only touches rows it
 * still holds (`locked_by`), which these no longer are. "Expired" is exactly
 * `locked_until < now()`, the complement of the renewal's condition.
 */
export async function taskRescueExpired(db: Executor, params: { limit?: number } = {}): Promise<TaskRow[]> {
  const requeue = sql`t.attempts < t.max_attempts AND t.cancel_requested_at IS NULL`;
  const { rows } = await sql<TaskRow>`
    UPDATE errand_tasks AS t SET
      status = CASE WHEN ${requeue} THEN 'PENDING' ELSE 'FAILED' END,
      finished_at = CASE WHEN ${requeue} THEN NULL ELSE now() END,
      run_after = CASE WHEN ${requeue} THEN now() ELSE t.run_after END,
      errors = t.errors || jsonb_build_array(jsonb_build_object(
        'exceptionClass', 'LeaseExpired',
        'message', replace(${MESSAGE}::text, '{worker}', t.locked_by),
        'traceback', replace(
          replace(${TRACEBACK}::text, '{lapsedAt}', to_char(t.locked_until AT TIME ZONE 'UTC', ${sql.raw(ISO_8601)})),
          '{worker}', t.locked_by),
        'attempt', t.attempts,
        'failedAt', to_char(now() AT TIME ZONE 'UTC', ${sql.raw(ISO_8601)})
      )),
      locked_by = NULL,
      locked_until = NULL
    FROM (
      SELECT id FROM errand_tasks
      WHERE status = 'RUNNING' AND locked_until < now()
      ORDER BY locked_until
      LIMIT ${params.limit ?? 1000}
      FOR UPDATE SKIP LOCKED
    ) AS lapsed
    WHERE t.id = lapsed.id
    RETURNING ${taskColumns("t")}`.execute(db);
  return rows;
}
