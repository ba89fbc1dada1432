import { sql } from "kysely";
import type { Executor } from "./executor";

/**
 * Folds the dashboard's counter rows (`errand_task_counts`, `errand_task_throughput`) into
 * one row per key, and its lag and duration histograms (`errand_task_timings`) into one row
 * per minute and bucket, dropping minutes older than two hours, so `taskStats` stays cheap. A write, so never part of a read: the
 * worker runs it on a timer (`CountsCompactor`), and the triggers now and then. One
 * compaction at a time (an advisory lock inside the function; the others return at once).
 *
 * @example
 * await taskCountsCompact(db);
 */
export async function taskCountsCompact(db: Executor): Promise<void> {
  await sql`SELECT errand_task_counts_compact(), errand_task_timings_compact()`.execute(db);
}
