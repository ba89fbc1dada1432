import type { Kysely } from "kysely";
import type { Database } from "@errand/db";
import type { TaskChangeListener, Unsubscribe } from "../feed/task-change";
import type { TaskResult } from "../result/task-result";
import type {
  BulkTaskFilter,
  EnqueueContext,
  QueueInfo,
  EnqueueRequest,
  PruneOptions,
  TaskDependent,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskRecordSource,
  TaskStats,
} from "../types";

/**
 * Where tasks are stored (Django's `BaseTaskBackend`). The built-ins are "database",
 * "immediate" and "dummy"; your own extends `BaseBackend` (or implements this interface) and
 * is configured as `{ backend: YourBackend, ...options }`. The capability flags decide what
 * `task.using()` may ask of it. Every backend passes the same conformance suite, which
 * `@errand/core/testing` exports for yours (`backendConformanceCases`).
 */
export interface Backend extends TaskRecordSource {
  /** The key it is configured under, e.g. "default". */
  readonly alias: string;
  /** "database" | "immediate" | "dummy" for the built-ins; your backend's name otherwise (shown in messages). */
  readonly kind: string;
  /** `runAfter`/`delay` can be honoured. */
  readonly supportsDefer: boolean;
  /** Results can be fetched by id later. */
  readonly supportsGetResult: boolean;
  /** Priority is stored (and, for a backend that runs tasks later, honoured). */
  readonly supportsPriority: boolean;
  /** Async functions can be tasks (always true here; kept for parity with Django). */
  readonly supportsAsyncTask: boolean;
  /** The queues tasks may use (the backend's `queues` setting); `null` allows any name. */
  readonly allowedQueues: readonly string[] | null;

  /** Stores the task and emits `enqueued` with its PENDING snapshot (then runs it, if immediate). */
  enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord>;
  /** Stores every request in one round trip where the backend can; `enqueued` for each. */
  enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]>;
  /** @throws TaskResultDoesNotExist (also for a malformed id) */
  getRecord(id: string): Promise<TaskRecord>;
  /**
   * The result with this id, whatever its task. `task.getResult(id)` also checks the task.
   *
   * @throws TaskResultDoesNotExist (also for a malformed id)
   */
  getResult(id: string): Promise<TaskResult>;
  list(filters?: TaskListFilters): Promise<TaskListPage>;
  /**
   * The tasks that wait (or waited) on this one (`using({ dependsOn })`), oldest first, at
   * most `limit` (default 100): what finishing it unblocks.
   *
   * @example
   * const next = await getBackend().dependents(result.id); // [{ id, taskName, status }]
   */
  dependents(id: string, options?: { limit?: number }): Promise<TaskDependent[]>;
  stats(): Promise<TaskStats>;
  /**
   * PENDING → FAILED with a `TaskCancelled` error. RUNNING: the cancel is recorded and
   * announced; the worker running it aborts its `signal` with `TaskCancelled` and stores it
   * FAILED (the record returned is still RUNNING, with `cancelRequestedAt` set).
   * @throws ErrandError `INVALID_STATE` (tRPC: CONFLICT) for a finished task.
   */
  cancel(id: string): Promise<TaskRecord>;
  /** FAILED → PENDING (same row, same args, errors kept). @throws ErrandError `INVALID_STATE` otherwise. */
  retry(id: string): Promise<TaskRecord>;
  /** @returns how many tasks were (or, with `dryRun`, would be) deleted. */
  prune(options: PruneOptions): Promise<number>;
  /**
   * Pauses a queue, persistently: no worker starts its tasks until `resumeQueue` (workers
   * hear it within a second and give back what they claimed ahead); running tasks finish;
   * enqueues are still stored, PENDING.
   *
   * @example
   * await getBackend().pauseQueue("email");
   */
  pauseQueue(name: string): Promise<void>;
  /** Resumes a paused queue (a no-op if it is not paused). */
  resumeQueue(name: string): Promise<void>;
  /**
   * Every queue with tasks, paused or configured: pause state, counts, oldest due task and
   * its configured limits (`queues` of the config), by name.
   *
   * @example
   * for (const q of await getBackend().queues()) console.log(q.name, q.paused, q.pending);
   */
  queues(): Promise<QueueInfo[]>;
  /**
   * Retries every FAILED task matching the filter (as `retry`), in batches that never lock
   * the table. @returns how many were retried.
   *
   * @example
   * await getBackend().retryMany({ status: "FAILED", queueName: "email" });
   */
  retryMany(filter?: BulkTaskFilter): Promise<number>;
  /**
   * Cancels every PENDING task matching the filter (FAILED with `TaskCancelled`), in batches.
   * @returns how many were cancelled.
   */
  cancelMany(filter?: BulkTaskFilter): Promise<number>;
  /**
   * The push feed: calls `listener` with each change of a task's status, progress or cancel
   * request as it is stored, by any process (the database backend LISTENs on one connection
   * per backend, however many subscribers). Resolves once listening.
   *
   * @example
   * const stop = await getBackend().watchChanges((event) => {
   *   if (event.type === "changes") for (const c of event.changes) console.log(c.id, c.status);
   * });
   * @throws ErrandError `NOT_SUPPORTED` (no LISTEN possible: `listenUrl: false`, a pooler),
   *   `FEED_UNAVAILABLE` (the database cannot be reached now).
   */
  watchChanges(listener: TaskChangeListener): Promise<Unsubscribe>;
  /** Releases connections. The backend can be used again afterwards. */
  close(): Promise<void>;
}

/** A backend that stores tasks in Postgres: the one workers run. */
export interface DatabaseBackendLike extends Backend {
  readonly kind: "database";
  /** The Kysely instance, connecting (and migrating, unless disabled) on first call. */
  getDb(): Promise<Kysely<Database>>;
  /** The connection string in use (the embedded server's when none was given). */
  getConnectionString(): Promise<string>;
  /** The `listenUrl` setting: where workers LISTEN (`undefined`: the connection string; `false`: nowhere). */
  readonly listenUrl?: string | false | undefined;
}
