// `taskList` over tasks in memory, paged as the Postgres store pages: newest first, the
// cursor being the enqueue order (`seq`) of the last task on the page.
import type { TaskListFilters, TaskListPage, TaskRecord } from "../types";
import { listLimit } from "./list-limit";

/**
 * One page of `tasks` matching the filters, newest first (copies); `nextCursor` is set when
 * older matches remain.
 *
 * @example
 * const page = memoryTaskList(stored, { status: "FAILED", limit: 20 });
 * const next = memoryTaskList(stored, { status: "FAILED", limit: 20, cursor: page.nextCursor ?? undefined });
 */
export function memoryTaskList(
  tasks: Iterable<{ record: TaskRecord; seq: number }>,
  params: TaskListFilters,
): TaskListPage {
  const limit = listLimit(params.limit);
  const before = params.cursor && /^\d+$/.test(params.cursor) ? Number(params.cursor) : Infinity;
  const older = [...tasks]
    .filter(
      ({ record: r, seq }) =>
        seq < before &&
        (!params.status || r.status === params.status) &&
        (!params.queueName || r.queueName === params.queueName) &&
        (!params.taskName || r.taskName === params.taskName),
    )
    .sort((a, b) => b.seq - a.seq);
  const page = older.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((t) => structuredClone(t.record)),
    nextCursor: older.length > limit && last ? String(last.seq) : null,
  };
}
