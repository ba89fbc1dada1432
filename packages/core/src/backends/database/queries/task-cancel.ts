import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import { isUuid, type Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { taskCancelledError } from "../../../store/task-cancelled-error";

/**
 * PENDING → FAILED with a `TaskCancelled` error, so the four statuses stay the only ones.
 * `WHERE status = 'PENDING'` makes it race-free against a claim: whichever commits first
 * wins, and a task a worker already claimed is not cancelled. `undefined` when the task
 * is missing or not PENDING.
 */
export async function taskCancel(db: Executor, params: { id: string; reason?: string }): Promise<TaskRow | undefined> {
  if (!isUuid(params.id)) return undefined;
  const error = JSON.stringify(taskCancelledError(params.reason));
  const { rows } = await sql<TaskRow>`
    UPDATE errand_tasks SET status = 'FAILED', finished_at = now(), errors = errors || jsonb_build_array(${error}::jsonb)
    WHERE id = ${params.id}::uuid AND status = 'PENDING'
    RETURNING ${taskColumns()}`.execute(db);
  return rows[0];
}
