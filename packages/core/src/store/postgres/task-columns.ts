import { sql, type RawBuilder } from "kysely";
import { TASK_COLUMNS } from "@errand/db";

/**
 * Every column of a task row (`TASK_COLUMNS` from `@errand/db`), optionally qualified by a
 * table alias: what raw SQL that returns `TaskRow`s puts after `RETURNING`, so those rows
 * and the `Database` types cannot drift apart.
 *
 * @example
 * sql<TaskRow>`UPDATE errand_tasks AS t SET … RETURNING ${taskColumns("t")}`
 */
export function taskColumns(table?: string): RawBuilder<unknown> {
  const key = table ?? "";
  let columns = built.get(key);
  if (!columns) {
    columns = sql.join(TASK_COLUMNS.map((column) => sql.ref(table ? `${table}.${column}` : column)));
    built.set(key, columns);
  }
  return columns;
}

/** Built once per alias: the hot claim and completion statements reuse them. */
const built = new Map<string, RawBuilder<unknown>>();
