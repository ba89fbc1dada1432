import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import type { Executor } from "./executor";
import { taskColumns } from "./task-columns";

/**
 * Gives back tasks this worker claimed but never started (shutdown between claim and
 * run): PENDING again, the claim's attempt and worker id taken back, as if never claimed.
 */
export async function taskRelease(db: Executor, params: { workerId: string; ids: string[] }): Promise<TaskRow[]> {
  if (params.ids.length === 0) return [];
  const { rows } = await sql<TaskRow>`
    UPDATE errand_tasks AS t SET
      status = 'PENDING',
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
