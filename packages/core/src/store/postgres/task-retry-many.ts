import { sql } from "kysely";
import type { Executor } from "./executor";
import type { TaskBulkParams } from "../task-store";
import { DEFAULT_BULK_BATCH_SIZE, taskBulkFilter } from "./task-bulk-filter";

/**
 * FAILED → PENDING (as `taskRetry`) for every task matching the filter, `batchSize` rows per
 * statement, each statement its own transaction: 100,000 rows never hold 100,000 row locks
 * at once nor one long transaction, and workers claim the first batches while the rest are
 * retried. `FOR UPDATE SKIP LOCKED` passes over rows another statement holds (they are not
 * FAILED for long, or are someone else's retry). A task whose unique key another PENDING or
 * RUNNING task holds stays FAILED (the `NOT EXISTS`), as `retry` refuses it; so does a second
 * FAILED task with the same key as one retried in the same batch (only the first of each key).
 * Ends when a batch finds nothing, and counts each row once: a retried row is PENDING and no
 * longer matches, a skipped one is remembered.
 */
export async function taskRetryMany(db: Executor, params: TaskBulkParams): Promise<number> {
  const where = taskBulkFilter({ ...params.filter, status: "FAILED" });
  const size = params.batchSize ?? DEFAULT_BULK_BATCH_SIZE;
  let total = 0;
  let afterSeq = "0";
  for (;;) {
    const { rows } = await sql<{ retried: number; last_seq: string | null }>`
      WITH batch AS (
        SELECT id, seq, unique_key FROM errand_tasks
        WHERE ${where} AND seq > ${afterSeq}::bigint
        ORDER BY seq LIMIT ${size}
        FOR UPDATE SKIP LOCKED
      ), eligible AS (
        SELECT DISTINCT ON (coalesce(b.unique_key, b.id::text)) b.id FROM batch b
        WHERE b.unique_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM errand_tasks o
          WHERE o.unique_key = b.unique_key AND o.status IN ('PENDING', 'RUNNING'))
        ORDER BY coalesce(b.unique_key, b.id::text), b.seq
      ), retried AS (
        UPDATE errand_tasks t SET
          status = 'PENDING', finished_at = NULL, run_after = now(),
          max_attempts = greatest(t.max_attempts, t.attempts + 1),
          progress_done = NULL, progress_total = NULL, cancel_requested_at = NULL
        FROM eligible WHERE t.id = eligible.id
        RETURNING t.id
      )
      SELECT (SELECT count(*) FROM retried)::int AS retried, (SELECT max(seq) FROM batch)::text AS last_seq`.execute(
      db,
    );
    const row = rows[0]!;
    total += row.retried;
    if (row.last_seq === null) return total;
    afterSeq = row.last_seq;
  }
}
