import { sql, type RawBuilder } from "kysely";

/**
 * The rows of a CTE named `input` (with an `id` column) whose task `workerId` holds, each
 * looked up by primary key: the body of a `held AS MATERIALIZED (…)` CTE that a result's
 * UPDATE then joins as `WHERE t.id = held.id AND t.locked_by = …` (held, so RUNNING: CHECK
 * `errand_tasks_running_iff_locked`; `status = 'RUNNING'` is left out on purpose).
 *
 * Why not the plain join `FROM input WHERE t.id = input.id AND t.status = 'RUNNING' AND
 * t.locked_by = …`: the planner sizes `errand_tasks`' side from its statistics, which say
 * that almost nothing is RUNNING or locked (they were taken before the drain), so it reads
 * every RUNNING row through the lease index (every task claimed ahead, by every worker) for
 * each statement, or scans the table, or loops over the whole input for each of those rows.
 * Measured on a table of 10,000 RUNNING rows: storing 20 results a statement cost Postgres
 * ≈270 µs of CPU a task and 500 a statement ≈35 µs; looking each id up, as here, the cost
 * follows the batch, not the table. The scalar subquery is never flattened into a join, so
 * each input row costs one primary-key probe whatever the statistics say, and the few rows
 * the planner then expects make it probe the key again in the UPDATE.
 *
 * @example
 * sql`WITH input AS (…), held AS MATERIALIZED (${heldBy(workerId)})
 *     UPDATE errand_tasks AS t SET … FROM held WHERE t.id = held.id AND t.locked_by = ${workerId}::text`
 */
export function heldBy(workerId: string): RawBuilder<unknown> {
  return sql`SELECT input.* FROM input
    WHERE (SELECT h.locked_by FROM errand_tasks AS h WHERE h.id = input.id) = ${workerId}::text`;
}
