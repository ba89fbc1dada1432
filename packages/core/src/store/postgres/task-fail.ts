import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import type { Executor } from "./executor";
import { heldBy } from "./task-held-by";
import { taskColumns } from "./task-columns";
import { timingSamples } from "./task-timings-sample";
import type { TaskFailParams } from "../task-store";
import type { BriefRow } from "./task-complete";

/**
 * Records failed attempts in one statement: appends each error, then either puts the task
 * back to PENDING with `run_after = now() + retryDelay` (while attempts remain) or marks it
 * FAILED (always FAILED once a cancel was asked for). The delay is added to the database's clock, so workers with skewed clocks agree.
 * Like `taskComplete`, it only touches rows this worker still holds, stamps the attempt
 * with each failure's `startedAt`, and with `brief` answers only ids and statuses. The
 * tasks it finishes (FAILED) add their lag and duration to the dashboard's histograms.
 */
export async function taskFail(db: Executor, params: TaskFailParams & { brief: true }): Promise<BriefRow[]>;
export async function taskFail(db: Executor, params: TaskFailParams): Promise<TaskRow[]>;
export async function taskFail(db: Executor, params: TaskFailParams): Promise<TaskRow[] | BriefRow[]> {
  if (params.failures.length === 0) return [];
  const started = params.failures.map((f) => f.startedAt?.toISOString() ?? null);
  const ids = params.failures.map((f) => f.id);
  const errors = params.failures.map((f) => JSON.stringify(f.error));
  const delays = params.failures.map((f) => f.retryDelay);
  // A retry needs attempts left and no cancel asked for.
  const retry = sql`input.retry_delay IS NOT NULL AND t.attempts < t.max_attempts AND t.cancel_requested_at IS NULL`;
  const { rows } = await sql<TaskRow>`
    WITH input AS (
      SELECT * FROM unnest(${ids}::uuid[], ${errors}::jsonb[], ${delays}::double precision[], ${started}::timestamptz[])
        AS i(id, error, retry_delay, started)
    ), held AS MATERIALIZED (${heldBy(params.workerId)}), failed AS (
    UPDATE errand_tasks AS t SET
      errors = t.errors || jsonb_build_array(input.error),
      started_at = CASE WHEN t.attempts = 1 AND input.started IS NOT NULL THEN input.started ELSE t.started_at END,
      last_attempted_at = coalesce(input.started, t.last_attempted_at),
      status = CASE WHEN ${retry} THEN 'PENDING' ELSE 'FAILED' END,
      run_after = CASE WHEN ${retry} THEN now() + make_interval(secs => input.retry_delay) ELSE t.run_after END,
      finished_at = CASE WHEN ${retry} THEN NULL ELSE now() END,
      locked_by = NULL,
      locked_until = NULL
    FROM held AS input
    WHERE t.id = input.id AND t.locked_by = ${params.workerId}::text
    RETURNING ${params.brief ? sql`t.id, t.status, t.queue_name, t.run_after, t.last_attempted_at, t.finished_at` : taskColumns("t")}
    ), timings AS (${timingSamples("failed")})
    SELECT ${params.brief ? sql`id, status` : taskColumns()} FROM failed`.execute(db);
  return rows;
}
