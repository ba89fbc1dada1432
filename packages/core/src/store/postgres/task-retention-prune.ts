import { sql } from "kysely";
import type { Database } from "@errand/db";
import type { Kysely } from "kysely";
import type { RetentionBatch, TaskRetentionParams } from "../task-store";
import { finishedBy } from "./finished-by";
import { taskNotAwaited } from "./task-awaited";
import type { FinishedStatus } from "../../task/task-status";

export type { RetentionBatch };

/** The advisory lock only one pruning batch at a time holds (`hashtext('errand_retention')`). */
const RETENTION_LOCK = sql`hashtext('errand_retention')`;

/**
 * Deletes one batch of at most `limit` finished tasks past their retention: SUCCESSFUL ones
 * finished at least `successfulSeconds` ago, FAILED ones at least `failedSeconds` ago
 * (`null`: kept), by the same cut-off as `taskPrune` (`finishedBy`), but never one that a
 * PENDING or RUNNING task waits on. Oldest first, through `errand_tasks_finished_idx`.
 *
 * One batch at a time across every worker: the batch's transaction takes the advisory lock
 * `errand_retention` with `pg_try_advisory_xact_lock`, and answers `null` without deleting
 * when another worker holds it. Small batches keep each transaction short, so claims and
 * completions never wait long behind a delete, and `FOR UPDATE SKIP LOCKED` skips rows
 * someone else has locked (a retry being recorded) instead of waiting for them.
 *
 * @example
 * await taskRetentionPrune(db, { successfulSeconds: 7 * 86400, failedSeconds: 30 * 86400, limit: 1000 });
 */
export async function taskRetentionPrune(
  db: Kysely<Database>,
  params: TaskRetentionParams,
): Promise<RetentionBatch | null> {
  if (params.successfulSeconds === null && params.failedSeconds === null) return { successful: 0, failed: 0 };
  const past = (status: FinishedStatus, seconds: number | null) =>
    seconds === null ? sql`false` : sql`(status = ${status} AND ${finishedBy(seconds)})`;
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{
      locked: boolean;
    }>`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS locked`.execute(trx);
    if (!lock[0]?.locked) return null;
    const { rows } = await sql<{ successful: number; failed: number }>`
      WITH doomed AS (
        SELECT id FROM errand_tasks
        WHERE finished_at IS NOT NULL
          AND (${past("SUCCESSFUL", params.successfulSeconds)} OR ${past("FAILED", params.failedSeconds)})
          AND ${taskNotAwaited("errand_tasks")}
        ORDER BY finished_at
        LIMIT ${params.limit}
        FOR UPDATE SKIP LOCKED
      ), deleted AS (
        DELETE FROM errand_tasks AS t USING doomed WHERE t.id = doomed.id RETURNING t.status
      )
      SELECT count(*) FILTER (WHERE status = 'SUCCESSFUL')::int AS successful,
             count(*) FILTER (WHERE status = 'FAILED')::int AS failed
      FROM deleted`.execute(trx);
    return rows[0] ?? { successful: 0, failed: 0 };
  });
}
