import { sql, type RawBuilder } from "kysely";

/**
 * The condition "no PENDING or RUNNING task waits on this finished task", on the row of
 * `errand_tasks` named `table`: retention and prune keep a dependency until its dependents
 * finished, so that they still read its return value (`ctx.dependencies`). One probe of
 * `errand_task_dependencies_depends_on_idx` per row; none finds anything for a task nobody
 * waits on.
 */
export function taskNotAwaited(table: string): RawBuilder<boolean> {
  return sql<boolean>`NOT EXISTS (
    SELECT 1 FROM errand_task_dependencies e JOIN errand_tasks w ON w.id = e.task_id
    WHERE e.depends_on_id = ${sql.ref(`${table}.id`)} AND w.status IN ('PENDING', 'RUNNING'))`;
}
