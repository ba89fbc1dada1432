import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import { isUuid, type Executor } from "./executor";
import { taskColumns } from "./task-columns";

/**
 * FAILED → PENDING, due now, on the same row: the id, args and past errors are kept, and
 * one more attempt is allowed even if the task had used them all. `undefined` when the task
 * is missing or not FAILED.
 */
export async function taskRetry(db: Executor, params: { id: string }): Promise<TaskRow | undefined> {
  if (!isUuid(params.id)) return undefined;
  const { rows } = await sql<TaskRow>`
    UPDATE errand_tasks SET
      status = 'PENDING', finished_at = NULL, run_after = now(),
      max_attempts = greatest(max_attempts, attempts + 1),
      progress_done = NULL, progress_total = NULL, cancel_requested_at = NULL
    WHERE id = ${params.id}::uuid AND status = 'FAILED'
    RETURNING ${taskColumns()}`.execute(db);
  return rows[0];
}
