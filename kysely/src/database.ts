import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** The four statuses a task moves through. See the README's state diagram. */
export type TaskStatus = "PENDING" | "RUNNING" | "SUCCESSFUL" | "FAILED";

/** One entry of `errand_tasks.errors`, appended for every failed attempt. */
export interface TaskErrorRow {
  exceptionClass: string;
  message: string;
  traceback: string;
  attempt: number;
  /** ISO 8601 instant. */
  failedAt: string;
}

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** jsonb: pg parses it on the way out; on the way in we always send a JSON string. */
type Json<T> = ColumnType<T, string, string>;

export interface TaskTable {
  id: Generated<string>;
  seq: ColumnType<string, never, never>;
  task_name: string;
  queue_name: Generated<string>;
  backend: Generated<string>;
  priority: Generated<number>;
  args: ColumnType<unknown[], string | undefined, string>;
  status: ColumnType<TaskStatus, TaskStatus | undefined, TaskStatus>;
  run_after: ColumnType<Date, Date | string | undefined, Date | string>;
  scheduled_at: ColumnType<Date, Date | string | undefined, Date | string>;
  enqueued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  started_at: NullableTimestamp;
  last_attempted_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  worker_ids: ColumnType<string[], string[] | undefined, string[]>;
  return_value: Json<unknown> | null;
  errors: ColumnType<TaskErrorRow[], string | undefined, string>;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  repeat_seconds: number | null;
  repeat_until: NullableTimestamp;
  verbose_name: string | null;
  creator_type: string | null;
  creator_id: string | null;
  progress_done: number | null;
  progress_total: number | null;
  /** While PENDING or RUNNING, no other task with this key can be stored. */
  unique_key: string | null;
  /** A cancel of this RUNNING task was asked for; its worker aborts it. */
  cancel_requested_at: NullableTimestamp;
  /** At most `concurrency_limit` RUNNING tasks with this key (both NULL without a key). */
  concurrency_key: string | null;
  concurrency_limit: number | null;
  /** The tasks this one waits for, in `dependsOn` order; `null`: none. */
  depends_on: string[] | null;
  /** How many of `depends_on` have not succeeded yet; claimed only at 0. */
  waiting_on: Generated<number>;
  /** W3C trace context of the span that enqueued the task (migration 0008); the run span's parent. */
  traceparent: string | null;
  tracestate: string | null;
}

/** A queue's persisted flow state: one row per queue ever paused or resumed. */
export interface QueueTable {
  name: string;
  paused: Generated<boolean>;
  paused_at: NullableTimestamp;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Starts of a rate-limited queue, one row per claim: the sliding window the claim reads. */
export interface QueueStartTable {
  queue_name: string;
  started_at: ColumnType<Date, Date | string, Date | string>;
  count: number;
}

/** One edge of `depends_on`, for finding who waits on a task (`errand_task_dependencies`). */
export interface TaskDependencyTable {
  task_id: string;
  depends_on_id: string;
  /** Index in the dependent's `depends_on`, from 0. */
  position: number;
}

/** What a worker's periodic job did last: one row per job (`name`, e.g. "retention"). */
export interface MaintenanceTable {
  name: string;
  ran_at: ColumnType<Date, Date | string | undefined, Date | string>;
  worker_id: string;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
}

/** One enqueued tick of a cron schedule; the primary key (schedule_name, tick_at) makes it once. */
export interface ScheduleTickTable {
  schedule_name: string;
  tick_at: ColumnType<Date, Date | string, Date | string>;
  task_id: string | null;
  enqueued_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Database {
  errand_tasks: TaskTable;
  errand_maintenance: MaintenanceTable;
  errand_schedule_ticks: ScheduleTickTable;
  errand_queues: QueueTable;
  errand_queue_starts: QueueStartTable;
  errand_task_dependencies: TaskDependencyTable;
}

export type TaskRow = Selectable<TaskTable>;
export type NewTaskRow = Insertable<TaskTable>;
export type TaskRowUpdate = Updateable<TaskTable>;
export type { Timestamp };
