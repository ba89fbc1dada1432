import type { Kysely, Transaction } from "kysely";
import type { TaskStatus } from "@errand/db";
import type { FinishedStatus } from "./task/task-status";

/**
 * The low-level types every other module of core imports: a task's record, what an enqueue
 * stores, and the shapes of list/stats/prune. This module imports nothing of core, so
 * that backends, results, tasks and config can all depend on it without depending on
 * each other (River's `rivertype`).
 */

export type { TaskStatus };

/** A JSON value as Errand stores it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One failed attempt: what was thrown, with its full stack (causes included). */
export interface TaskError {
  /** The thrown error's class name (`error.name`, else its constructor's name). */
  exceptionClass: string;
  message: string;
  /** The full stack, with `Caused by:` sections for each `cause`. */
  traceback: string;
  /** The attempt (1-based) that threw. */
  attempt: number;
  failedAt: Date;
}

/** How far a running task says it is (`context.setProgress(done, total)`). */
export interface TaskProgress {
  done: number;
  total: number | null;
}

/** Who asked for a task, e.g. `{ type: "user", id: "42" }`. Stored and shown. */
export interface TaskCreator {
  type: string;
  id: string;
}

/**
 * A snapshot of one task's row, in the shape every backend returns. `TaskResult` wraps
 * one; the tRPC router sends one (its dates as ISO strings).
 */
export interface TaskRecord {
  id: string;
  taskName: string;
  queueName: string;
  backend: string;
  priority: number;
  args: unknown[];
  status: TaskStatus;
  runAfter: Date;
  enqueuedAt: Date;
  startedAt: Date | null;
  lastAttemptedAt: Date | null;
  finishedAt: Date | null;
  attempts: number;
  maxAttempts: number;
  workerIds: string[];
  /** `undefined` unless the task succeeded. */
  returnValue: unknown;
  errors: TaskError[];
  progress: TaskProgress | null;
  /** Seconds between runs of a repeating task. */
  repeat: number | null;
  repeatUntil: Date | null;
  verboseName: string | null;
  creator: TaskCreator | null;
  /** While this task is PENDING or RUNNING, no other task with this key is stored. */
  uniqueKey: string | null;
  /** When a cancel of this RUNNING task was asked for; its worker aborts it. */
  cancelRequestedAt: Date | null;
  /** Its task's `concurrencyKey(...args)`, computed at enqueue: at most `concurrencyLimit` with this key RUNNING. */
  concurrencyKey?: string | null | undefined;
  /** How many tasks with its `concurrencyKey` may run at once. */
  concurrencyLimit?: number | null | undefined;
  /** The ids of the tasks this one waits for, in `dependsOn` order (empty: none). */
  dependsOn: string[];
  /** How many of `dependsOn` have not succeeded yet; a worker claims the task only at 0. */
  waitingOn: number;
  /**
   * The W3C `traceparent` of the span that enqueued the task, when tracing was on
   * (`00-<trace id>-<span id>-<flags>`); the worker's run span is its child.
   */
  traceparent?: string | null;
  /** The W3C `tracestate` that came with `traceparent`. */
  tracestate?: string | null;
  /**
   * Only on what `enqueue` returns: `true` when a task with the same `uniqueKey` was already
   * PENDING or RUNNING, so nothing was stored and this is that task.
   */
  deduplicated?: boolean;
}

/** One task row to store, fully validated and normalised. */
export interface EnqueueRequest {
  taskName: string;
  args: JsonValue[];
  queueName: string;
  priority: number;
  /** `null`: due now. */
  runAfter: Date | null;
  maxAttempts: number;
  repeat: number | null;
  repeatUntil: Date | null;
  verboseName: string | null;
  creator: TaskCreator | null;
  /** See `TaskRecord.uniqueKey`. */
  uniqueKey: string | null;
  /** See `TaskRecord.concurrencyKey`. Default none. */
  concurrencyKey?: string | null | undefined;
  /** See `TaskRecord.concurrencyLimit`. Default 1 with a key. */
  concurrencyLimit?: number | null | undefined;
  /** Ids of stored tasks of the same backend to wait for (at most 1,000, no repeats); `[]`: none. */
  dependsOn: string[];
  /** See `TaskRecord.traceparent`. Set by `enqueue()` from the active span. */
  traceparent?: string | null;
  tracestate?: string | null;
}

/** What a task that waited gets of each dependency (`ctx.dependencies`), in `dependsOn` order. */
export interface TaskDependency<TReturn = unknown> {
  id: string;
  taskName: string;
  /** What the dependency returned (it succeeded, or this task would not run). */
  returnValue: TReturn;
}

/** A task that waits (or waited) on another: what finishing that one unblocks. */
export interface TaskDependent {
  id: string;
  taskName: string;
  status: TaskStatus;
}

/** Filters and paging of `Backend.list`. Newest first. */
/** Which tasks a list or a watch concerns; empty means every task. */
export interface TaskFilter {
  status?: TaskStatus | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
}

/** A `TaskFilter` and where the page starts and how long it is (`backend.list`). */
export interface TaskListFilters extends TaskFilter {
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** 1…`MAX_LIST_LIMIT` (500), default `DEFAULT_LIST_LIMIT` (50). */
  limit?: number | undefined;
}

export interface TaskListPage {
  items: TaskRecord[];
  nextCursor: string | null;
}

/** Counts and throughput for a status page. */
export interface TaskStats {
  byStatus: Record<TaskStatus, number>;
  byQueue: { queueName: string; status: TaskStatus; count: number }[];
  /** Tasks finished per minute over the last hour, oldest minute first; quiet minutes omitted. */
  throughput: { minute: Date; successful: number; failed: number }[];
  /** `run_after` of the oldest PENDING task that is due, if any. */
  oldestDueAt: Date | null;
  /** Per queue, lag and duration percentiles over the last hour; queues without samples omitted. */
  timings?: QueueTimings[];
}

/** How long a queue's tasks waited to start and ran, over the last hour (milliseconds). */
export interface QueueTimings {
  queueName: string;
  /** From when an attempt was due to when a worker claimed it; `null` without samples. */
  lag: TimingPercentiles | null;
  /** From an attempt's start to its task's finish; `null` without samples. */
  duration: TimingPercentiles | null;
}

/** Percentiles of a set of samples, in milliseconds, to within ±9 % (see migration 0008). */
export interface TimingPercentiles {
  p50: number;
  p95: number;
  /** How many samples. */
  count: number;
}

/** What `prune` removes: finished tasks older than `age` seconds. */
export interface PruneOptions {
  /** Seconds since `finished_at`. 0 prunes every finished task. */
  age: number;
  /** Default: both SUCCESSFUL and FAILED. */
  statuses?: FinishedStatus[] | undefined;
  /** Default: every queue. */
  queueName?: string | undefined;
  /** Count only. */
  dryRun?: boolean | undefined;
}

/** The caller's open transaction, for an enqueue that commits or rolls back with it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EnqueueTransaction = Transaction<any> | Kysely<any>;

export interface EnqueueContext {
  transaction?: EnqueueTransaction | undefined;
}

/** Where a `TaskResult` reloads its record from: every backend (and any store wrapper). */
export interface TaskRecordSource {
  /** @throws TaskResultDoesNotExist (also for a malformed id) */
  getRecord(id: string): Promise<TaskRecord>;
  /** See `Backend.cancel`. */
  cancel(id: string): Promise<TaskRecord>;
}

/** `queues.<name>.rateLimit`: at most `limit` starts in any window of `periodSeconds`. */
export interface QueueRateLimit {
  limit: number;
  periodSeconds: number;
}

/** `queues.<name>` of `configure()` / `errand.config.ts`: limits that hold across every worker. */
export interface QueueSettings {
  /** At most this many tasks of the queue RUNNING at once (claimed ahead included), all workers together. */
  concurrency?: number | undefined;
  /** At most `limit` starts per `periodSeconds`, all workers together. */
  rateLimit?: QueueRateLimit | undefined;
}

/** One queue as `Backend.queues()` shows it. */
export interface QueueInfo {
  name: string;
  /** Paused: no worker starts its tasks until resumed (enqueues are still stored). */
  paused: boolean;
  pending: number;
  running: number;
  failed: number;
  /** `runAfter` of its oldest due PENDING task, if any. */
  oldestDueAt: Date | null;
  /** Its configured concurrency limit, or `null`. */
  concurrency: number | null;
  /** Its configured rate limit, or `null`. */
  rateLimit: QueueRateLimit | null;
}

/**
 * Which tasks `retryMany` / `cancelMany` act on. `status` defaults to FAILED for
 * `retryMany` (the only status it accepts) and to PENDING for `cancelMany` (likewise).
 */
export interface BulkTaskFilter {
  status?: TaskStatus | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
  /** Only tasks that finished before this instant. */
  finishedBefore?: Date | undefined;
  /** Only tasks enqueued before this instant. */
  enqueuedBefore?: Date | undefined;
}
