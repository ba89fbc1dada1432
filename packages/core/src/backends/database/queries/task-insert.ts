import { sql } from "kysely";
import type { TaskRow } from "@errand/db";
import type { Executor } from "./executor";

/** The columns an enqueue sets; everything else starts at its default. */
export interface TaskInsertRow {
  task_name: string;
  queue_name: string;
  backend: string;
  priority: number;
  /** JSON text of the argument array. */
  args: string;
  /** `null`: due at once (the database's `now()`). */
  run_after: Date | null;
  max_attempts: number;
  repeat_seconds: number | null;
  repeat_until: Date | null;
  verbose_name: string | null;
  creator_type: string | null;
  creator_id: string | null;
}

/** What an insert returns: what the database chose; the caller knows the rest. */
export type InsertedTask = Pick<TaskRow, "id" | "enqueued_at" | "run_after">;

/**
 * Inserts tasks in one statement and returns their ids, sequence numbers and times in
 * input order (not whole rows: for 20,000 rows, sending back and parsing every column
 * cost more than the insert itself). The insert
 * trigger sends one NOTIFY per queue inside the same round trip, so an enqueue costs a
 * single INSERT (+ COMMIT) and wakes idle workers.
 *
 * Many rows go in as one array parameter per column (`unnest`), so the statement has 12
 * parameters whatever the row count: no 65,535-parameter ceiling, and Postgres parses one
 * small statement instead of a `VALUES` list with a parameter per cell.
 */
export async function taskInsert(db: Executor, rows: TaskInsertRow[]): Promise<InsertedTask[]> {
  if (rows.length === 0) return [];
  if (rows.length === 1) {
    const r = rows[0]!;
    return db
      .insertInto("errand_tasks")
      .values({
        task_name: r.task_name,
        queue_name: r.queue_name,
        backend: r.backend,
        priority: r.priority,
        args: r.args,
        max_attempts: r.max_attempts,
        ...(r.run_after ? { run_after: r.run_after, scheduled_at: r.run_after } : {}),
        ...(r.repeat_seconds !== null ? { repeat_seconds: r.repeat_seconds, repeat_until: r.repeat_until } : {}),
        ...(r.verbose_name !== null ? { verbose_name: r.verbose_name } : {}),
        ...(r.creator_type !== null ? { creator_type: r.creator_type, creator_id: r.creator_id } : {}),
      })
      .returning(["id", "enqueued_at", "run_after"])
      .execute();
  }
  const col = <K extends keyof TaskInsertRow>(key: K) => rows.map((r) => r[key]);
  // Rows are inserted in input order (ORDER BY n), so `seq` follows it. What comes back
  // is one row: the ids as one array in that order and the statement's `now()`, since
  // parsing 20,000 returned rows (their timestamps above all) cost more than the insert.
  const { rows: result } = await sql<{ ids: string[]; now: Date }>`
    WITH inserted AS (
      INSERT INTO errand_tasks (task_name, queue_name, backend, priority, args, run_after, scheduled_at,
        max_attempts, repeat_seconds, repeat_until, verbose_name, creator_type, creator_id)
      SELECT task_name, queue_name, backend, priority, args, coalesce(run_after, now()), coalesce(run_after, now()),
        max_attempts, repeat_seconds, repeat_until, verbose_name, creator_type, creator_id
      FROM unnest(
        ${col("task_name")}::text[], ${col("queue_name")}::text[], ${col("backend")}::text[], ${col("priority")}::int[],
        ${col("args")}::jsonb[], ${col("run_after")}::timestamptz[], ${col("max_attempts")}::int[],
        ${col("repeat_seconds")}::int[], ${col("repeat_until")}::timestamptz[], ${col("verbose_name")}::text[],
        ${col("creator_type")}::text[], ${col("creator_id")}::text[]
      ) WITH ORDINALITY AS i(task_name, queue_name, backend, priority, args, run_after, max_attempts,
        repeat_seconds, repeat_until, verbose_name, creator_type, creator_id, n)
      ORDER BY n
      RETURNING id, seq
    )
    SELECT array_agg(id::text ORDER BY seq) AS ids, now() AS now FROM inserted`.execute(db);
  const { ids, now } = result[0]!;
  return ids.map((id, i) => ({ id, enqueued_at: now, run_after: rows[i]!.run_after ?? now }));
}
