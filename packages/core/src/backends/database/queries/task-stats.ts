import { sql } from "kysely";
import type { TaskStatus } from "@errand/db";
import type { Executor } from "./executor";

export interface TaskStatsRows {
  counts: { queue_name: string; status: TaskStatus; count: number }[];
  throughput: { minute: Date; successful: number; failed: number }[];
  oldestDueAt: Date | null;
}

/** Counts by queue and status, finished tasks per minute over the last hour, oldest due task. */
export async function taskStats(db: Executor): Promise<TaskStatsRows> {
  const [counts, throughput, oldest] = await Promise.all([
    db
      .selectFrom("errand_tasks")
      .select(["queue_name", "status", sql<number>`count(*)::int`.as("count")])
      .groupBy(["queue_name", "status"])
      .orderBy("queue_name")
      .execute(),
    sql<{ minute: Date; successful: number; failed: number }>`
      SELECT date_trunc('minute', finished_at) AS minute,
        count(*) FILTER (WHERE status = 'SUCCESSFUL')::int AS successful,
        count(*) FILTER (WHERE status = 'FAILED')::int AS failed
      FROM errand_tasks
      WHERE finished_at IS NOT NULL AND finished_at > now() - interval '1 hour'
      GROUP BY 1 ORDER BY 1`.execute(db),
    sql<{ oldest: Date | null }>`
      SELECT min(run_after) AS oldest FROM errand_tasks WHERE status = 'PENDING' AND run_after <= now()`.execute(db),
  ]);
  return { counts, throughput: throughput.rows, oldestDueAt: oldest.rows[0]?.oldest ?? null };
}
