import { sql } from "kysely";
import type { Executor } from "./executor";
import type { TaskBulkParams } from "../task-store";
import { taskCancelledError } from "../task-cancelled-error";
import { DEFAULT_BULK_BATCH_SIZE, taskBulkFilter } from "./task-bulk-filter";

/**
 * PENDING → FAILED with a `TaskCancelled` error (as `taskCancel` of a PENDING task) for
 * every task matching the filter, `batchSize` rows per statement and transaction, so that
 * 100,000 rows neither lock the table nor stall the workers. `FOR UPDATE SKIP LOCKED`: a row
 * a worker is claiming right now is skipped (it becomes RUNNING and no longer matches).
 * Ends when a batch finds nothing.
 */
export async function taskCancelMany(db: Executor, params: TaskBulkParams): Promise<number> {
  const where = taskBulkFilter({ ...params.filter, status: "PENDING" });
  const size = params.batchSize ?? DEFAULT_BULK_BATCH_SIZE;
  const error = JSON.stringify(taskCancelledError());
  let total = 0;
  let afterSeq = "0";
  for (;;) {
    const { rows } = await sql<{ cancelled: number; last_seq: string | null }>`
      WITH batch AS (
        SELECT id, seq FROM errand_tasks
        WHERE ${where} AND seq > ${afterSeq}::bigint
        ORDER BY seq LIMIT ${size}
        FOR UPDATE SKIP LOCKED
      ), cancelled AS (
        UPDATE errand_tasks t SET
          status = 'FAILED', finished_at = now(),
          errors = t.errors || jsonb_build_array(${error}::jsonb)
        FROM batch WHERE t.id = batch.id
        RETURNING t.id
      )
      SELECT (SELECT count(*) FROM cancelled)::int AS cancelled, (SELECT max(seq) FROM batch)::text AS last_seq`.execute(
      db,
    );
    const row = rows[0]!;
    total += row.cancelled;
    if (row.last_seq === null) return total;
    afterSeq = row.last_seq;
  }
}
