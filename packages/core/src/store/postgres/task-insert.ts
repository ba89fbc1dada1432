import { sql, type RawBuilder } from "kysely";
import type { TaskRow, TaskTable } from "@errand/db";
import type { Executor } from "./executor";
import { taskColumns } from "./task-columns";
import { UniqueKeyContended } from "../../errors";

/** The columns an enqueue sets; everything else starts at its default. Each is a `TaskTable` column. */
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
  /** See `TaskRecord.uniqueKey`. */
  unique_key: string | null;
  /** See `TaskRecord.concurrencyKey` (both NULL without a key). */
  concurrency_key: string | null;
  concurrency_limit: number | null;
  /** The tasks it waits for (`null`: none), and how many of them have not succeeded. */
  depends_on: string[] | null;
  waiting_on: number;
  /** W3C trace context of the enqueue's span (see `TaskRecord.traceparent`). */
  traceparent: string | null;
  tracestate: string | null;
}

/** The columns of a multi-row insert, in `INSERT` order, with their Postgres types. */
const INSERT_COLUMNS = [
  ["task_name", "text"],
  ["queue_name", "text"],
  ["backend", "text"],
  ["priority", "int"],
  ["args", "jsonb"],
  ["run_after", "timestamptz"],
  ["max_attempts", "int"],
  ["repeat_seconds", "int"],
  ["repeat_until", "timestamptz"],
  ["verbose_name", "text"],
  ["creator_type", "text"],
  ["creator_id", "text"],
  ["unique_key", "text"],
  ["concurrency_key", "text"],
  ["concurrency_limit", "int"],
  ["depends_on", "uuid[]"],
  ["waiting_on", "int"],
  ["traceparent", "text"],
  ["tracestate", "text"],
] as const satisfies readonly (readonly [keyof TaskInsertRow, string])[];

/**
 * The columns an enqueue sets, in `INSERT` order, that a repeat's next run copies (not the
 * unique key nor the dependencies: the next run is a new task, enqueued by the one that just
 * finished; nor the trace context: the next run starts a trace of its own, not one that never ends).
 */
export const ENQUEUE_COLUMNS = INSERT_COLUMNS.map(([column]) => column).filter(
  (c) => c !== "unique_key" && c !== "depends_on" && c !== "waiting_on" && c !== "traceparent" && c !== "tracestate",
);

/** A compile error naming any `TaskInsertRow` field missing from `INSERT_COLUMNS` or not a `TaskTable` column. */
type AssertNone<T extends never> = T;
type _EveryInsertColumnListed = AssertNone<Exclude<keyof TaskInsertRow, (typeof INSERT_COLUMNS)[number][0]>>;
type _EveryInsertColumnInTable = AssertNone<Exclude<keyof TaskInsertRow, keyof TaskTable>>;

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

/**
 * What an insert returns: what the database chose; the caller knows the rest. `existing`:
 * nothing was stored, since a task with the same unique key is PENDING or RUNNING; it is
 * that task's row.
 */
export type InsertedTask = Pick<TaskRow, "id" | "enqueued_at" | "run_after"> & { existing?: TaskRow };

/**
 * The partial unique index `errand_tasks_unique_key_idx` as an `ON CONFLICT` target: an
 * enqueue whose key is taken stores nothing, without a check-then-insert race (a concurrent
 * insert of the same key waits for the other transaction, then skips).
 */
const ON_UNIQUE_KEY_CONFLICT = sql`ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('PENDING', 'RUNNING') DO NOTHING`;

/** How often an enqueue whose key holder finished between the insert and the read tries again. */
const MAX_DEDUPLICATE_ROUNDS = 5;

/**
 * Inserts tasks in one statement and returns their ids, sequence numbers and times in
 * input order (not whole rows: for 20,000 rows, sending back and parsing every column
 * cost more than the insert itself). The insert
 * trigger sends one NOTIFY per queue inside the same round trip, so an enqueue costs a
 * single INSERT (+ COMMIT) and wakes idle workers.
 *
 * Many rows go in as one array parameter per varying column (`unnest`), so the statement has
 * at most 12 parameters whatever the row count: no 65,535-parameter ceiling, and Postgres
 * parses one small statement instead of a `VALUES` list with a parameter per cell.
 */
export async function taskInsert(db: Executor, rows: TaskInsertRow[]): Promise<InsertedTask[]> {
  const inserted = await insertRows(db, rows);
  // Rows skipped for their unique key get the task holding it. That task may finish between
  // the insert and this read (the key is free again): those rows are inserted once more.
  for (let round = 0; round < MAX_DEDUPLICATE_ROUNDS; round++) {
    const skipped = rows.flatMap((row, i) => (inserted[i] === undefined ? [i] : []));
    if (skipped.length === 0) return inserted as InsertedTask[];
    const keys = [...new Set(skipped.map((i) => rows[i]!.unique_key!))];
    const { rows: holders } = await sql<TaskRow>`
      SELECT ${taskColumns()} FROM errand_tasks
      WHERE unique_key = ANY(${keys}::text[]) AND status IN ('PENDING', 'RUNNING')`.execute(db);
    const byKey = new Map(holders.map((h) => [h.unique_key!, h]));
    const free: number[] = [];
    for (const i of skipped) {
      const holder = byKey.get(rows[i]!.unique_key!);
      if (holder)
        inserted[i] = { id: holder.id, enqueued_at: holder.enqueued_at, run_after: holder.run_after, existing: holder };
      else free.push(i);
    }
    if (free.length > 0) {
      const again = await insertRows(
        db,
        free.map((i) => rows[i]!),
      );
      free.forEach((i, j) => (inserted[i] = again[j]));
    }
  }
  if (inserted.some((r) => r === undefined)) {
    throw new UniqueKeyContended();
  }
  return inserted as InsertedTask[];
}

/** Inserts; `undefined` in place of each row skipped because its unique key is taken. */
async function insertRows(db: Executor, rows: TaskInsertRow[]): Promise<(InsertedTask | undefined)[]> {
  if (rows.length === 0) return [];
  const keyed = rows.some((r) => r.unique_key !== null);
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
        ...(r.unique_key !== null ? { unique_key: r.unique_key } : {}),
        ...(r.concurrency_key !== null
          ? { concurrency_key: r.concurrency_key, concurrency_limit: r.concurrency_limit }
          : {}),
        ...(r.depends_on !== null ? { depends_on: r.depends_on, waiting_on: r.waiting_on } : {}),
        ...(r.traceparent !== null ? { traceparent: r.traceparent, tracestate: r.tracestate } : {}),
      })
      .$if(keyed, (q) =>
        q.onConflict((oc) =>
          oc
            .column("unique_key")
            .where("unique_key", "is not", null)
            .where("status", "in", ["PENDING", "RUNNING"])
            .doNothing(),
        ),
      )
      .returning(["id", "enqueued_at", "run_after"])
      .execute()
      .then((inserted) => [inserted[0]]);
  }
  // A column with one value for every row (the task name, queue, priority… of an
  // enqueueMany) goes in as one scalar; only the columns that vary go in as arrays. Sending,
  // escaping and parsing twelve 20,000-element arrays cost ≈40 % of a bulk enqueue.
  const selected: RawBuilder<unknown>[] = [];
  let runAfter: RawBuilder<unknown> = sql`now()`;
  const arrays: RawBuilder<unknown>[] = [];
  const names: RawBuilder<unknown>[] = [];
  for (const [column, type] of INSERT_COLUMNS) {
    // An array column goes in as its text form, one per row: unnest would flatten a 2-D array.
    const values = rows.map((r) => {
      const v = r[column];
      return Array.isArray(v) ? `{${v.join(",")}}` : v;
    });
    const isArray = type.endsWith("[]");
    let value: RawBuilder<unknown>;
    if (values.every((v) => sameValue(v, values[0]))) {
      value = sql`${values[0]}::${sql.raw(type)}`;
    } else {
      arrays.push(sql`${values}::${sql.raw(isArray ? "text" : type)}[]`);
      names.push(sql.raw(column));
      value = sql.raw(isArray ? `i.${column}::${type}` : `i.${column}`);
    }
    // `null`: due at once. The first due time is also what a repeat counts from.
    if (column === "run_after") runAfter = value = sql`coalesce(${value}, now())`;
    selected.push(value);
  }
  const source =
    arrays.length > 0
      ? sql`unnest(${sql.join(arrays)}) WITH ORDINALITY AS i(${sql.join(names)}, n)`
      : sql`generate_series(1, ${rows.length}::int) AS i(n)`;
  // Rows are inserted in input order (ORDER BY n), so `seq` follows it. What comes back
  // is one row: the ids as one array in that order and the statement's `now()`, since
  // parsing 20,000 returned rows (their timestamps above all) cost more than the insert.
  const { rows: result } = await sql<{ ids: string[] | null; keys: (string | null)[] | null; now: Date }>`
    WITH inserted AS (
      INSERT INTO errand_tasks (${sql.join(INSERT_COLUMNS.map(([c]) => sql.ref(c)))}, scheduled_at)
      SELECT ${sql.join(selected)}, ${runAfter}
      FROM ${source}
      ORDER BY n
      ${keyed ? ON_UNIQUE_KEY_CONFLICT : sql``}
      RETURNING id, seq, unique_key
    )
    SELECT array_agg(id::text ORDER BY seq) AS ids, array_agg(unique_key ORDER BY seq) AS keys, now() AS now
    FROM inserted`.execute(db);
  const { now } = result[0]!;
  const ids = result[0]!.ids ?? [];
  const keys = result[0]!.keys ?? [];
  if (!keyed) return ids.map((id, i) => ({ id, enqueued_at: now, run_after: rows[i]!.run_after ?? now }));
  // Rows went in in input order, so the inserted ones are the input minus the skipped ones:
  // a keyed row was inserted if the next inserted row carries its key and no earlier row of
  // this batch took that key.
  const out: (InsertedTask | undefined)[] = [];
  const taken = new Set<string>();
  let next = 0;
  for (const row of rows) {
    const key = row.unique_key;
    if (key === null || (!taken.has(key) && keys[next] === key)) {
      if (key !== null) taken.add(key);
      out.push({ id: ids[next++]!, enqueued_at: now, run_after: row.run_after ?? now });
    } else {
      out.push(undefined);
    }
  }
  return out;
}
