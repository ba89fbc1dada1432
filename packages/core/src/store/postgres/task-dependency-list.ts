import { sql } from "kysely";
import { isUuid, type Executor } from "./executor";

/**
 * What a task waits for, in its `dependsOn` order, with each one's return value: a task's
 * `ctx.dependencies`. Dependencies pruned since (edge deleted with them) are left out.
 */
export async function taskDependencyList(
  db: Executor,
  params: { id: string },
): Promise<{ id: string; task_name: string; return_value: unknown }[]> {
  if (!isUuid(params.id)) return [];
  const { rows } = await sql<{ id: string; task_name: string; return_value: unknown }>`
    SELECT d.id, d.task_name, d.return_value
    FROM errand_task_dependencies e JOIN errand_tasks d ON d.id = e.depends_on_id
    WHERE e.task_id = ${params.id}::uuid
    ORDER BY e.position`.execute(db);
  return rows;
}
