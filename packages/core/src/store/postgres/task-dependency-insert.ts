import { sql } from "kysely";
import type { TaskErrorRow } from "@errand/db";
import type { Executor } from "./executor";

/**
 * Stores the edges of tasks just inserted with `depends_on` (one `errand_task_dependencies`
 * row per entry, its position in the list), and fails at once those whose dependency had
 * already FAILED, with the given error. Runs in the enqueue's transaction, after
 * `taskDependencyLock` (see there why no dependency can finish unseen in between).
 */
export async function taskDependencyInsert(
  db: Executor,
  params: { ids: readonly string[]; failed: readonly { id: string; error: TaskErrorRow }[] },
): Promise<void> {
  if (params.ids.length === 0) return;
  await sql`
    INSERT INTO errand_task_dependencies (task_id, depends_on_id, position)
    SELECT t.id, d.depends_on_id, d.n - 1
    FROM errand_tasks t, unnest(t.depends_on) WITH ORDINALITY AS d(depends_on_id, n)
    WHERE t.id = ANY(${[...params.ids]}::uuid[])`.execute(db);
  if (params.failed.length === 0) return;
  await sql`
    UPDATE errand_tasks AS t SET status = 'FAILED', finished_at = now(), errors = t.errors || jsonb_build_array(f.error)
    FROM unnest(${params.failed.map((f) => f.id)}::uuid[], ${params.failed.map((f) => JSON.stringify(f.error))}::jsonb[])
      AS f(id, error)
    WHERE t.id = f.id AND t.status = 'PENDING'`.execute(db);
}
