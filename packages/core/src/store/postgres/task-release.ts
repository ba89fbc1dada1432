import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import type { Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { taskCancelledError } from "../task-cancelled-error";

/**
 * Gives back tasks this worker claimed but never started (shutdown between claim and
 * run): PENDING again, the claim's attempt and worker id taken back, as if never claimed.
 * A task whose cancel was asked for meanwhile is FAILED instead, as a PENDING one would be.
 */
export async function taskRelease(db: Executor, params: { workerId: string; ids: string[] }): Promise<TaskRow[]> {
  if (params.ids.length === 0) return [];
  const error = JSON.stringify(taskCancelledError());
  const { rows } = await sql<TaskRow>`
    UPDATE errand_tasks AS t SET
      status = CASE WHEN t.cancel_requested_at IS NULL THEN 'PENDING' ELSE 'FAILED' END,
      finished_at = CASE WHEN t.cancel_requested_at IS NULL THEN NULL ELSE now() END,
      errors = CASE WHEN t.cancel_requested_at IS NULL THEN t.errors ELSE t.errors || jsonb_build_array(${error}::jsonb) END,
      cancel_requested_at = NULL,
      attempts = t.attempts - 1,
      worker_ids = t.worker_ids[1:cardinality(t.worker_ids) - 1],
      started_at = CASE WHEN t.attempts = 1 THEN NULL ELSE t.started_at END,
      last_attempted_at = CASE WHEN t.attempts = 1 THEN NULL ELSE t.last_attempted_at END,
      locked_by = NULL,
      locked_until = NULL
    WHERE t.id = ANY(${params.ids}::uuid[]) AND t.status = 'RUNNING' AND t.locked_by = ${params.workerId}::text
    RETURNING ${taskColumns("t")}`.execute(db);
  return rows;
}
