import type { NewTaskRow, TaskRow } from "@errand/db";
import type { Executor } from "./executor";

/**
 * Inserts tasks in one statement and returns their rows in input order. The insert
 * trigger sends one NOTIFY per queue inside the same round trip, so an enqueue costs a
 * single INSERT (+ COMMIT) and wakes idle workers.
 */
export async function taskInsert(db: Executor, rows: NewTaskRow[]): Promise<TaskRow[]> {
  if (rows.length === 0) return [];
  // Postgres caps a statement at 65,535 parameters; 14 columns a row leaves room for
  // 4,000 rows a chunk. Chunks inside one enqueueMany share its transaction when given one.
  const CHUNK = 4_000;
  if (rows.length <= CHUNK) {
    return db.insertInto("errand_tasks").values(rows).returningAll().execute();
  }
  const out: TaskRow[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    out.push(
      ...(await db
        .insertInto("errand_tasks")
        .values(rows.slice(i, i + CHUNK))
        .returningAll()
        .execute()),
    );
  }
  return out;
}
