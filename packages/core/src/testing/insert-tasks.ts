import type { Kysely, Transaction } from "kysely";
import type { Database, NewTaskRow, TaskRow } from "@errand/db";

/**
 * Test factory: inserts task rows exactly as given (any status, timestamps, attempts),
 * bypassing enqueue's validation, and returns them in input order. Missing columns take
 * their defaults; `task_name` defaults to "test.noop".
 *
 * @example
 * await insertTasks(db, [{ status: "FAILED", finished_at: new Date() }]);
 */
export async function insertTasks(
  db: Kysely<Database> | Transaction<Database>,
  rows: Partial<NewTaskRow>[],
): Promise<TaskRow[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insertInto("errand_tasks")
    .values(rows.map((r) => ({ task_name: "test.noop", ...r })))
    .returningAll()
    .execute();
  return inserted.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}
