import { sql } from "kysely";
import { MAX_PRIORITY, MIN_PRIORITY, type TaskStatus } from "@errand/db";
import type { Executor } from "./executor";

export interface TaskStatsRows {
  counts: { queue_name: string; status: TaskStatus; count: number }[];
  throughput: { minute: Date; successful: number; failed: number }[];
  oldestDueAt: Date | null;
}

/**
 * Counts by queue and status, finished tasks per minute over the last hour, oldest due task.
 *
 * The counts come from the rows the task table's triggers append (migration 0004), not from
 * the task table: a read costs the same with ten million tasks as with ten. It only reads
 * (a dashboard may point at a read-only replica); folding the rows is `taskCountsCompact`.
 */
export async function taskStats(db: Executor): Promise<TaskStatsRows> {
  const [counts, throughput, oldest] = await Promise.all([
    sql<{ queue_name: string; status: TaskStatus; count: number }>`
      SELECT queue_name, status, sum(count)::int AS count
      FROM errand_task_counts GROUP BY 1, 2 ORDER BY 1, 2`.execute(db),
    sql<{ minute: Date; successful: number; failed: number }>`
      SELECT minute, sum(successful)::int AS successful, sum(failed)::int AS failed
      FROM errand_task_throughput WHERE minute > now() - interval '1 hour'
      GROUP BY 1 ORDER BY 1`.execute(db),
    // One probe of the pending index per priority (−100…100) rather than a scan of every
    // due task, which a backlog of a million would make slow.
    sql<{ oldest: Date | null }>`
      SELECT min(first.run_after) AS oldest
      FROM generate_series(${MIN_PRIORITY}::int, ${MAX_PRIORITY}::int) AS p(priority),
      LATERAL (
        SELECT run_after FROM errand_tasks
        WHERE status = 'PENDING' AND priority = p.priority AND run_after <= now()
        ORDER BY run_after LIMIT 1
      ) AS first`.execute(db),
  ]);
  return {
    counts: counts.rows.filter((r) => r.count !== 0),
    throughput: throughput.rows.filter((r) => r.successful !== 0 || r.failed !== 0),
    oldestDueAt: oldest.rows[0]?.oldest ?? null,
  };
}
