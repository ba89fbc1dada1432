import type { TaskErrorRow, TaskStatus } from "@errand/db";
import type {
  BulkTaskFilter,
  TaskDependency,
  TaskDependent,
  EnqueueRequest,
  QueueInfo,
  QueueSettings,
  EnqueueTransaction,
  PruneOptions,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
} from "../types";

/** What `taskClaimBatch` claims. */
export interface TaskClaimBatchParams {
  /** Queue names, or "*" for every queue. */
  queues: readonly string[] | "*";
  /** With `queues: "*"`: every queue but these. */
  excludeQueues?: readonly string[] | undefined;
  /** At most this many (the worker's free slots and what it claims ahead). */
  limit: number;
  workerId: string;
  /** Seconds the claim holds before another worker may rescue the task. */
  leaseSeconds: number;
  /** Only tasks stored by this backend alias (a worker runs one backend's tasks). Default any. */
  backend?: string | undefined;
  /** Only these tasks (the immediate backend runs the one it just stored). Default any. */
  ids?: readonly string[] | undefined;
  /**
   * Flow control: the configured limits of queues (`queues` of the config) and the worker's
   * free slots now. Tasks of a limited queue, and tasks with a `concurrencyKey`, are claimed
   * only up to `freeSlots` (they start at once, so a rate limit counts real starts) and only
   * while their limits allow. Paused queues are never claimed, with or without it.
   * Default: no queue limits, `freeSlots` = `limit`.
   */
  flow?: TaskClaimFlow | undefined;
  /**
   * Claim whatever else matches, paused queue or not, limits or not: the immediate backend,
   * which runs a task inside its enqueue and so has nothing to wait for. Default false.
   */
  ignoreFlow?: boolean | undefined;
}

/** See `TaskClaimBatchParams.flow`. */
export interface TaskClaimFlow {
  queues: Readonly<Record<string, QueueSettings>>;
  freeSlots: number;
}

/** What `taskRetryMany` / `taskCancelMany` act on, a batch of rows per statement. */
export interface TaskBulkParams {
  filter: BulkTaskFilter;
  /** Rows per statement (each its own transaction, `SKIP LOCKED`). Default 1000. */
  batchSize?: number | undefined;
}

/**
 * What `taskComplete` and `taskFail` answer with `brief: true`: the tasks that took the
 * outcome and their status now. A worker with no listener for finished tasks asks for no
 * more: building full records costs more than the statement (measured: 500 full rows
 * 5.3 ms to fetch and parse, 500 ids 0.45 ms).
 */
export interface TaskOutcomeBrief {
  id: string;
  status: TaskStatus;
}

/** What `taskComplete` records. */
export interface TaskCompleteParams {
  workerId: string;
  /**
   * `returnValue` already serialised as JSON text. `startedAt`: when the function really
   * started (a task claimed ahead waits in the worker first); it becomes the attempt's
   * `lastAttemptedAt`, and the task's `startedAt` on its first attempt.
   */
  results: { id: string; returnValue: string; startedAt?: Date | undefined }[];
  /** Answer `TaskOutcomeBrief`s, not records. Default false. */
  brief?: boolean | undefined;
  /** `false`: do not schedule the next run of repeating tasks (a backend that cannot defer). Default true. */
  scheduleRepeats?: boolean | undefined;
}

/** What `taskFail` records. */
export interface TaskFailParams {
  workerId: string;
  failures: {
    id: string;
    error: TaskErrorRow;
    /** Seconds until the retry, or `null` for no retry (FAILED now). */
    retryDelay: number | null;
    /** When the function really started (see `TaskCompleteParams`). */
    startedAt?: Date | undefined;
  }[];
  /** Answer `TaskOutcomeBrief`s, not records. Default false. */
  brief?: boolean | undefined;
}

/** What `taskPrune` deletes: `PruneOptions`, and only a backend alias's rows when given. */
export interface TaskPruneOptions extends PruneOptions {
  backend?: string | undefined;
}

/** What `taskRetentionPrune` deletes: one batch past each status's retention (`null`: kept). */
export interface TaskRetentionParams {
  /** SUCCESSFUL tasks finished at least this many seconds ago. */
  successfulSeconds: number | null;
  /** FAILED tasks finished at least this many seconds ago. */
  failedSeconds: number | null;
  /** Most tasks one batch deletes. */
  limit: number;
}

/** What one batch of retention deleted, by status. */
export interface RetentionBatch {
  successful: number;
  failed: number;
}

/** What `taskInsert` stores. */
export interface TaskInsertParams {
  /** The alias of the backend the tasks belong to (stored on each). */
  backend: string;
  tasks: readonly EnqueueRequest[];
  /** The caller's open transaction, where the store has one (Postgres). */
  transaction?: EnqueueTransaction | undefined;
}

/**
 * The whole state machine of a task, one operation per transition, each named noun-first
 * and taking one params object (River's driver executor). A task moves:
 *
 * - `taskInsert` → PENDING (due at `runAfter`, or now); with `dependsOn`, it waits
 *   (`waitingOn` > 0) until each dependency is SUCCESSFUL, and is FAILED with
 *   `DependencyFailed` as soon as one is FAILED (already at insert, or later: every
 *   transition below to SUCCESSFUL or FAILED moves the dependents in the same transaction);
 * - `taskClaimBatch`: due PENDING tasks waiting on nothing → RUNNING under a lease (attempt counted, worker id
 *   appended), highest priority first, then earliest `runAfter`, then enqueue order;
 * - `taskComplete`: RUNNING → SUCCESSFUL (and a repeating task's next run inserted);
 * - `taskFail`: RUNNING → PENDING after `retryDelay` while attempts remain, else FAILED;
 * - `taskRelease`: RUNNING → PENDING as if never claimed (claimed, not started);
 * - `taskRescueExpired`: RUNNING with a lapsed lease → PENDING (or FAILED when out of attempts);
 * - `taskCancel`: PENDING → FAILED with a `TaskCancelled` error; RUNNING: a cancel is
 *   recorded, and the next complete, fail, release or rescue of the task stores FAILED;
 * - `taskRetry`: FAILED → PENDING, one more attempt allowed;
 * - `taskPrune` and `taskRetentionPrune`: delete SUCCESSFUL/FAILED tasks finished at least
 *   a given age ago (the same cut-off in both: `finishedBy`).
 * - `taskRetryMany` / `taskCancelMany`: `taskRetry` / `taskCancel` (of PENDING tasks) in bulk.
 *
 * Flow control: `queuePause`/`queueResume` hold a queue's tasks PENDING; the claim honours
 * the queue limits it is given and each task's `concurrencyKey` limit.
 *
 * Complete, fail, release, renew and set-progress only touch tasks the given worker still
 * holds, so a worker whose lease lapsed cannot overwrite a newer attempt. Every record
 * returned is a copy. Two implementations pass one conformance suite
 * (`packages/core/test/task-store.test.ts`): `PostgresTaskStore` over the query functions,
 * and `MemoryTaskStore` for the immediate and dummy backends.
 *
 * @example
 * const store = new MemoryTaskStore();
 * const [task] = await store.taskInsert({ backend: "default", tasks: [request] });
 * const [claimed] = await store.taskClaimBatch({ queues: "*", limit: 1, workerId: "w1", leaseSeconds: 30 });
 */
export interface TaskStore {
  /**
   * Stores PENDING tasks, in input order; their records as stored. A task whose `uniqueKey`
   * a PENDING or RUNNING task holds is not stored: its place has that task's record, with
   * `deduplicated: true`.
   */
  taskInsert(params: TaskInsertParams): Promise<TaskRecord[]>;
  /** The task with this id; `undefined` if missing (or the id is malformed). */
  taskGet(params: { id: string }): Promise<TaskRecord | undefined>;
  /**
   * What the task with this id waits for, in `dependsOn` order, with their return values
   * (`ctx.dependencies`); dependencies pruned since are left out. `[]` if none or missing.
   */
  taskDependencies(params: { id: string }): Promise<TaskDependency[]>;
  /** The tasks that wait (or waited) on this one, oldest first, at most `limit`. */
  taskDependents(params: { id: string; limit: number }): Promise<TaskDependent[]>;
  /** Claims up to `limit` due PENDING tasks for `workerId`, in claim order. */
  taskClaimBatch(params: TaskClaimBatchParams): Promise<TaskRecord[]>;
  /** Marks held RUNNING tasks SUCCESSFUL; returns those it did. */
  taskComplete(params: TaskCompleteParams & { brief: true }): Promise<TaskOutcomeBrief[]>;
  taskComplete(params: TaskCompleteParams & { brief?: false | undefined }): Promise<TaskRecord[]>;
  taskComplete(params: TaskCompleteParams): Promise<TaskRecord[] | TaskOutcomeBrief[]>;
  /** Records failed attempts of held tasks: PENDING again after `retryDelay`, or FAILED. */
  taskFail(params: TaskFailParams & { brief: true }): Promise<TaskOutcomeBrief[]>;
  taskFail(params: TaskFailParams & { brief?: false | undefined }): Promise<TaskRecord[]>;
  taskFail(params: TaskFailParams): Promise<TaskRecord[] | TaskOutcomeBrief[]>;
  /** Extends the lease of held tasks; returns the ids still held. */
  taskRenewLease(params: { workerId: string; ids: string[]; leaseSeconds: number }): Promise<string[]>;
  /** Re-queues (or fails) RUNNING tasks whose lease lapsed, with a `LeaseExpired` error. */
  taskRescueExpired(params?: { limit?: number }): Promise<TaskRecord[]>;
  /** Gives back held tasks never started: PENDING, the claim's attempt taken back. */
  taskRelease(params: { workerId: string; ids: string[] }): Promise<TaskRecord[]>;
  /**
   * PENDING → FAILED with a `TaskCancelled` error; RUNNING: the cancel is recorded
   * (`cancelRequestedAt`) for its worker, which aborts it. `undefined` if missing or finished.
   */
  taskCancel(params: { id: string; reason?: string }): Promise<TaskRecord | undefined>;
  /** The ids of RUNNING tasks `workerId` holds whose cancel was asked for. */
  taskCancelRequested(params: { workerId: string }): Promise<string[]>;
  /** FAILED → PENDING, due now; `undefined` if missing, not FAILED or another task holds its unique key. */
  taskRetry(params: { id: string }): Promise<TaskRecord | undefined>;
  /** Deletes (or with `dryRun` counts) tasks finished at least `age` seconds ago. */
  taskPrune(params: TaskPruneOptions): Promise<number>;
  /**
   * Deletes one batch of finished tasks past their retention, oldest first (the worker's
   * retention). `null` when another process is pruning (Postgres: an advisory lock), so
   * one prunes at a time.
   */
  taskRetentionPrune(params: TaskRetentionParams): Promise<RetentionBatch | null>;
  /** Newest first, filtered, a page at a time. */
  taskList(params: TaskListFilters): Promise<TaskListPage>;
  /** Counts by status and queue, throughput over the last hour, the oldest due task. Never writes. */
  taskStats(): Promise<TaskStats>;
  /**
   * Folds the counters `taskStats` reads so it stays cheap (Postgres; nothing to do in
   * memory). A write: the worker runs it on a timer, never a read.
   */
  taskCountsCompact(): Promise<void>;
  /**
   * FAILED → PENDING (due now, one more attempt) for every task matching the filter, in
   * batches; tasks whose unique key another task holds are left FAILED. How many it retried.
   */
  taskRetryMany(params: TaskBulkParams): Promise<number>;
  /** PENDING → FAILED with a `TaskCancelled` error for every task matching the filter, in batches. How many. */
  taskCancelMany(params: TaskBulkParams): Promise<number>;
  /** Marks the queue paused (persisted): no claim takes its tasks until `queueResume`. */
  queuePause(params: { name: string }): Promise<void>;
  /** Un-pauses the queue. */
  queueResume(params: { name: string }): Promise<void>;
  /** The names of the paused queues. */
  queuePausedNames(): Promise<string[]>;
  /**
   * Every queue that has tasks, is paused or is configured: counts, oldest due, pause state,
   * and the limits given in `settings`. By name.
   */
  queueList(params: { settings: Readonly<Record<string, QueueSettings>> }): Promise<QueueInfo[]>;
  /** Stores a held RUNNING task's progress; `false` if the worker no longer holds it. */
  taskSetProgress(params: { id: string; workerId: string; done: number; total: number | null }): Promise<boolean>;
}
