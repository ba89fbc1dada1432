import { sql } from "kysely";
import type { TaskRow, TaskStatus } from "@errand/db";
import type { Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { ENQUEUE_COLUMNS } from "./task-insert";
import { cancelledWhileRunningText } from "../task-cancelled-error";
import { heldBy } from "./task-held-by";
import { timingSamples } from "./task-timings-sample";

const ISO_8601 = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
import type { TaskCompleteParams } from "../task-store";

/**
 * Marks many RUNNING tasks SUCCESSFUL in one statement (FAILED with a `TaskCancelled` error,
 * its return value dropped, for a task whose cancel was asked for while it ran) and, for each repeating one,
 * schedules its next run as a new PENDING row: the first slot after now on the grid
 * `scheduled_at + k × repeat` (missed slots are skipped), unless past `repeat_until`.
 *
 * Only rows this worker still holds (`locked_by`) are touched: if a lease lapsed and
 * another worker re-claimed the task, this completion is dropped rather than
 * overwriting the newer attempt. The returned rows tell the caller which completions took
 * (with `brief`, only their id and status).
 *
 * A result's `startedAt` (when the function really started) becomes `last_attempted_at`,
 * and `started_at` on a first attempt; without it the claim's stamps stay. The tasks it
 * finishes add their lag and duration to the dashboard's histograms (`timingSamples`).
 */
export async function taskComplete(db: Executor, params: TaskCompleteParams & { brief: true }): Promise<BriefRow[]>;
export async function taskComplete(db: Executor, params: TaskCompleteParams): Promise<TaskRow[]>;
export async function taskComplete(db: Executor, params: TaskCompleteParams): Promise<TaskRow[] | BriefRow[]> {
  if (params.results.length === 0) return [];
  const ids = params.results.map((r) => r.id);
  const values = params.results.map((r) => r.returnValue);
  const started = params.results.map((r) => r.startedAt?.toISOString() ?? null);
  // The next run copies what the enqueue set, but for when it is due.
  const repeated = sql.join(ENQUEUE_COLUMNS.filter((c) => c !== "run_after").map((c) => sql.ref(c)));
  const { rows } = await sql<TaskRow>`
    WITH input AS (
      SELECT * FROM unnest(${ids}::uuid[], ${values}::jsonb[], ${started}::timestamptz[]) AS i(id, return_value, started)
    ), held AS MATERIALIZED (${heldBy(params.workerId)}), done AS (
      UPDATE errand_tasks AS t SET
        status = CASE WHEN t.cancel_requested_at IS NULL THEN 'SUCCESSFUL' ELSE 'FAILED' END,
        return_value = CASE WHEN t.cancel_requested_at IS NULL THEN input.return_value END,
        errors = CASE WHEN t.cancel_requested_at IS NULL THEN t.errors ELSE t.errors || jsonb_build_array(jsonb_build_object(
          'exceptionClass', 'TaskCancelled',
          'message', ${cancelledWhileRunningText.message}::text,
          'traceback', ${cancelledWhileRunningText.traceback}::text,
          'attempt', t.attempts,
          'failedAt', to_char(now() AT TIME ZONE 'UTC', ${sql.raw(ISO_8601)})
        )) END,
        started_at = CASE WHEN t.attempts = 1 AND input.started IS NOT NULL THEN input.started ELSE t.started_at END,
        last_attempted_at = coalesce(input.started, t.last_attempted_at),
        finished_at = now(),
        locked_by = NULL,
        locked_until = NULL
      FROM held AS input
      WHERE t.id = input.id AND t.locked_by = ${params.workerId}::text
      RETURNING ${taskColumns("t")}
    ), next_run AS (
      SELECT done.*,
        done.scheduled_at + make_interval(secs => done.repeat_seconds * (
          floor(greatest(extract(epoch FROM now() - done.scheduled_at), 0) / done.repeat_seconds) + 1
        )) AS next_at
      FROM done WHERE done.repeat_seconds IS NOT NULL AND done.status = 'SUCCESSFUL'
    ), repeated AS (
      INSERT INTO errand_tasks (${repeated}, run_after, scheduled_at)
      SELECT ${repeated}, next_at, next_at
      FROM next_run WHERE ${params.scheduleRepeats !== false}::boolean AND (repeat_until IS NULL OR next_at <= repeat_until)
      RETURNING id
    ), timings AS (${timingSamples("done")})
    SELECT ${params.brief ? sql`id, status` : taskColumns()} FROM done`.execute(db);
  return rows;
}

/** A row of a `brief` answer. */
export interface BriefRow {
  id: string;
  status: TaskStatus;
}
