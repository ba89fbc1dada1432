import { sql } from "kysely";
import { CANCEL_CHANNEL, type TaskRow } from "@errand/db";
import { isUuid, type Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { taskCancelledError } from "../task-cancelled-error";

/**
 * Cancels a task, in one statement:
 *
 * - PENDING → FAILED with a `TaskCancelled` error, so the four statuses stay the only ones;
 * - RUNNING: `cancel_requested_at` is set and the id is sent on `errand_cancel` (delivered at
 *   commit); the worker holding the task aborts it, and `taskComplete`, `taskFail` and
 *   `taskRescueExpired` store it FAILED, never retried nor SUCCESSFUL.
 *
 * Race-free against a claim: the UPDATE waits for a concurrent claim's row lock and then
 * re-evaluates the row as the claim left it, so the task is cancelled as PENDING or as
 * RUNNING, never lost between the two. `undefined` when the task is missing or finished.
 */
export async function taskCancel(db: Executor, params: { id: string; reason?: string }): Promise<TaskRow | undefined> {
  if (!isUuid(params.id)) return undefined;
  const error = JSON.stringify(taskCancelledError(params.reason));
  const { rows } = await sql<TaskRow>`
    WITH cancelled AS (
      UPDATE errand_tasks SET
        status = CASE WHEN status = 'PENDING' THEN 'FAILED' ELSE status END,
        finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END,
        errors = CASE WHEN status = 'PENDING' THEN errors || jsonb_build_array(${error}::jsonb) ELSE errors END,
        cancel_requested_at = CASE WHEN status = 'RUNNING' THEN coalesce(cancel_requested_at, now()) END
      WHERE id = ${params.id}::uuid AND status IN ('PENDING', 'RUNNING')
      RETURNING ${taskColumns()}
    ), announced AS (
      SELECT pg_notify(${CANCEL_CHANNEL}, id::text) FROM cancelled WHERE status = 'RUNNING'
    )
    -- The condition is always true: it makes the NOTIFY run (an unreferenced CTE would not).
    SELECT * FROM cancelled WHERE (SELECT count(*) FROM announced) >= 0`.execute(db);
  return rows[0];
}

/**
 * The RUNNING tasks `workerId` holds whose cancel was asked for: the worker's poll, for a
 * cancel whose NOTIFY it missed (it was reconnecting). Uses the RUNNING index; a worker
 * holds few tasks.
 */
export async function taskCancelRequested(db: Executor, params: { workerId: string }): Promise<string[]> {
  const rows = await db
    .selectFrom("errand_tasks")
    .select("id")
    .where("status", "=", "RUNNING")
    .where("locked_by", "=", params.workerId)
    .where("cancel_requested_at", "is not", null)
    .execute();
  return rows.map((r) => r.id);
}
