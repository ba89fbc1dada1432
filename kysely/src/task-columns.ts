import type { TaskTable } from "./database";

/**
 * Every column of `errand_tasks`, in table order: what raw SQL that returns whole task rows
 * selects (`RETURNING` in core's queries), so a row always matches `TaskRow`. A column added
 * to `TaskTable` and not here is a compile error below; add it here and in a migration.
 */
export const TASK_COLUMNS = [
  "id",
  "seq",
  "task_name",
  "queue_name",
  "backend",
  "priority",
  "args",
  "status",
  "run_after",
  "scheduled_at",
  "enqueued_at",
  "started_at",
  "last_attempted_at",
  "finished_at",
  "attempts",
  "max_attempts",
  "worker_ids",
  "return_value",
  "errors",
  "locked_by",
  "locked_until",
  "repeat_seconds",
  "repeat_until",
  "verbose_name",
  "creator_type",
  "creator_id",
  "progress_done",
  "progress_total",
  "unique_key",
  "cancel_requested_at",
  "concurrency_key",
  "concurrency_limit",
  "depends_on",
  "waiting_on",
  "traceparent",
  "tracestate",
] as const satisfies readonly (keyof TaskTable)[];

export type TaskColumn = (typeof TASK_COLUMNS)[number];

/** A compile error naming the columns of `TaskTable` missing from `TASK_COLUMNS`, if any. */
type AssertNone<T extends never> = T;
type _EveryColumnListed = AssertNone<Exclude<keyof TaskTable, TaskColumn>>;
