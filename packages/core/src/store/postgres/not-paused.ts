import { sql } from "kysely";

/**
 * A claim's condition that a task's queue is not paused (`errand_queues.paused`), for the
 * WHERE clause of a SELECT over `errand_tasks`. Both subqueries run once per statement.
 *
 * Written as "no queue is paused, or this one is not" rather than only
 * `queue_name <> ALL(<paused names>)`: the planner cannot see into that array and, with the
 * few distinct queue names a table usually holds, took the lone condition as matching almost
 * no row. It then read and sorted every PENDING row instead of walking the claim-order index
 * for the first `limit` (measured: 37 ms against 1 ms for a claim of 500 among 20,000; it
 * grows with the backlog). With the OR, the estimate stays at half the rows and the plan is
 * the index scan, paused queues or not.
 */
export const NOT_PAUSED = sql`(NOT EXISTS (SELECT 1 FROM errand_queues WHERE paused)
        OR queue_name <> ALL(ARRAY(SELECT name FROM errand_queues WHERE paused)))`;
