import { sql } from "kysely";
import { MAX_PRIORITY, MIN_PRIORITY, type TaskStatus } from "@errand/db";
import type { Executor } from "./executor";

export interface TaskStatsRows {
  counts: { queue_name: string; status: TaskStatus; count: number }[];
  throughput: { minute: Date; successful: number; failed: number }[];
  oldestDueAt: Date | null;
}

/** Past this many counter rows, a read folds them (see `errand_task_counts_compact`). */
const COMPACT_AFTER_ROWS = 1000;

/**
 * Counts by queue and status, finished tasks per minute over the last hour, oldest due task.
 *
 * The counts come from the rows the task table's triggers append (migration 0004), not from
 * the task table: a read costs the same with ten million tasks as with ten.
 */
export async function taskStats(db: Executor): Promise<TaskStatsRows> {
  const [counts, throughput, oldest] = await Promise.all([
    sql<{ queue_name: string; status: TaskStatus; count: number; rows: number }>`
      SELECT queue_name, status, sum(count)::int AS count, count(*)::int AS rows
      FROM errand_task_counts GROUP BY 1, 2 ORDER BY 1, 2`.execute(db),
    sql<{ minute: Date; successful: number; failed: number; rows: number }>`
      SELECT minute, sum(successful)::int AS successful, sum(failed)::int AS failed, count(*)::int AS rows
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
  const rows = [...counts.rows, ...throughput.rows].reduce((n, r) => n + r.rows, 0);
  if (rows > COMPACT_AFTER_ROWS) await sql`SELECT errand_task_counts_compact()`.execute(db);
  return {
    counts: counts.rows.filter((r) => r.count !== 0).map(({ rows: _rows, ...r }) => r),
    throughput: throughput.rows.filter((r) => r.successful !== 0 || r.failed !== 0).map(({ rows: _rows, ...r }) => r),
    oldestDueAt: oldest.rows[0]?.oldest ?? null,
  };
}
