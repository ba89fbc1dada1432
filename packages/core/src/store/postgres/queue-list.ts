import { sql } from "kysely";
import { MAX_PRIORITY, MIN_PRIORITY } from "@errand/db";
import type { Executor } from "./executor";

export interface QueueListRow {
  name: string;
  paused: boolean;
  pending: number;
  running: number;
  failed: number;
  oldest_due_at: Date | null;
}

/**
 * Every queue that has tasks or an `errand_queues` row (or is named in `names`: the
 * configured ones), with its pause state, counts and oldest due PENDING task. The counts
 * come from the counter rows of migration 0004 (a few rows, whatever the table holds); the
 * oldest due task takes one probe of the queue's pending index per priority (as `taskStats`),
 * not a sort of a backlog that may be a million rows.
 */
export async function queueList(db: Executor, params: { names: readonly string[] }): Promise<QueueListRow[]> {
  const { rows } = await sql<QueueListRow>`
    WITH counts AS (
      SELECT queue_name,
        sum(count) FILTER (WHERE status = 'PENDING')::int AS pending,
        sum(count) FILTER (WHERE status = 'RUNNING')::int AS running,
        sum(count) FILTER (WHERE status = 'FAILED')::int AS failed
      FROM errand_task_counts GROUP BY 1
    ), names AS (
      SELECT queue_name AS name FROM counts WHERE pending <> 0 OR running <> 0 OR failed <> 0
      UNION SELECT name FROM errand_queues
      UNION SELECT unnest(${sql.val([...params.names])}::text[])
    )
    SELECT n.name, coalesce(q.paused, false) AS paused,
      coalesce(c.pending, 0) AS pending, coalesce(c.running, 0) AS running, coalesce(c.failed, 0) AS failed,
      (SELECT min(first.run_after)
        FROM generate_series(${MIN_PRIORITY}::int, ${MAX_PRIORITY}::int) AS p(priority),
        LATERAL (
          SELECT run_after FROM errand_tasks t
          WHERE t.status = 'PENDING' AND t.queue_name = n.name AND t.priority = p.priority AND t.run_after <= now()
          ORDER BY t.run_after LIMIT 1
        ) AS first) AS oldest_due_at
    FROM names n
    LEFT JOIN errand_queues q ON q.name = n.name
    LEFT JOIN counts c ON c.queue_name = n.name
    ORDER BY n.name COLLATE "C"`.execute(db);
  return rows;
}
