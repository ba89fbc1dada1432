import { sql, type RawBuilder } from "kysely";
import type { BulkTaskFilter } from "../../types";

/** The WHERE conditions of a bulk filter, for `taskRetryMany` and `taskCancelMany`. */
export function taskBulkFilter(filter: BulkTaskFilter & { status: string }): RawBuilder<unknown> {
  const conditions = [sql`status = ${filter.status}`];
  if (filter.queueName !== undefined) conditions.push(sql`queue_name = ${filter.queueName}`);
  if (filter.taskName !== undefined) conditions.push(sql`task_name = ${filter.taskName}`);
  if (filter.finishedBefore !== undefined) conditions.push(sql`finished_at < ${filter.finishedBefore}`);
  if (filter.enqueuedBefore !== undefined) conditions.push(sql`enqueued_at < ${filter.enqueuedBefore}`);
  return sql.join(conditions, sql` AND `);
}

/** Rows per statement of a bulk retry or cancel. */
export const DEFAULT_BULK_BATCH_SIZE = 1000;
