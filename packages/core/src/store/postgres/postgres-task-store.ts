import { taskTimings } from "./task-timings";
import { queueTimingsOf } from "../timing-buckets";
import type { Kysely } from "kysely";
import type { Database } from "@errand/db";
import { FINISHED_STATUSES } from "../../task/task-status";
import {
  queueList,
  queuePause,
  queuePausedNames,
  taskCancelMany,
  taskRetryMany,
  taskCancel,
  taskCancelRequested,
  taskComplete,
  taskCountsCompact,
  taskDependencyInsert,
  taskDependencyList,
  taskDependencyLock,
  taskDependentList,
  taskFail,
  taskGet,
  taskInsert,
  taskList,
  taskPrune,
  taskRelease,
  taskRetentionPrune,
  taskRenewLease,
  taskRescueExpired,
  taskRetry,
  taskSetProgress,
  taskStats,
  type Executor,
  type InsertedTask,
  type TaskInsertRow,
} from "./index";
import { rowToRecord } from "./row-to-record";
import { taskClaimRows } from "./task-claim-batch";
import type {
  EnqueueRequest,
  QueueInfo,
  QueueSettings,
  TaskDependency,
  TaskDependent,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
} from "../../types";
import { checkDependencies } from "../check-dependencies";
import { dependencyFailedError } from "../dependency-failed-error";
import { buildStats } from "../build-stats";
import { listLimit } from "../list-limit";
import { newTaskRecord } from "../new-task-record";
import type {
  TaskBulkParams,
  TaskClaimBatchParams,
  TaskCompleteParams,
  TaskFailParams,
  TaskInsertParams,
  TaskOutcomeBrief,
  TaskPruneOptions,
  TaskRetentionParams,
  RetentionBatch,
  TaskStore,
} from "../task-store";

/**
 * The task store in Postgres: each operation is one of the query functions beside it in
 * `store/postgres/` (the SQL layer, where the locking is explained), with rows mapped to
 * records. The database backend and the worker run on it.
 *
 * @example
 * const store = new PostgresTaskStore(db);
 * const claimed = await store.taskClaimBatch({ queues: "*", limit: 10, workerId, leaseSeconds: 30 });
 */
export class PostgresTaskStore implements TaskStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async taskInsert(params: TaskInsertParams): Promise<TaskRecord[]> {
    const executor = (params.transaction as Executor | undefined) ?? this.#db;
    if (params.tasks.every((task) => task.dependsOn.length === 0)) {
      const rows = await taskInsert(
        executor,
        params.tasks.map((task) => toInsertRow(params.backend, task, 0)),
      );
      return rows.map((row, i) => toInsertedRecord(params.backend, row, { request: params.tasks[i]!, waitingOn: 0 }));
    }
    // The rows, their edges and the check of their dependencies commit together (inside the
    // caller's transaction when there is one): a refused dependency stores nothing.
    const insert = async (trx: Executor): Promise<TaskRecord[]> => {
      const found = await taskDependencyLock(trx, { ids: params.tasks.flatMap((t) => t.dependsOn) });
      const stored = new Map(
        found.map((d) => [d.id, { id: d.id, taskName: d.task_name, backend: d.backend, status: d.status }]),
      );
      const checked = checkDependencies(params.tasks, params.backend, stored);
      const rows = await taskInsert(
        trx,
        params.tasks.map((task, i) => toInsertRow(params.backend, task, checked[i]!.waitingOn)),
      );
      const fresh = rows.flatMap((row, i) => (row.existing || params.tasks[i]!.dependsOn.length === 0 ? [] : [i]));
      const now = new Date();
      const failed = fresh.flatMap((i) => {
        const dependency = checked[i]!.failed;
        return dependency ? [{ id: rows[i]!.id, error: dependencyFailedError(dependency, 0, now) }] : [];
      });
      await taskDependencyInsert(trx, { ids: fresh.map((i) => rows[i]!.id), failed });
      const failures = new Map(failed.map((f) => [f.id, f.error]));
      return rows.map((row, i) => {
        const record = toInsertedRecord(params.backend, row, {
          request: params.tasks[i]!,
          waitingOn: checked[i]!.waitingOn,
        });
        const failure = row.existing ? undefined : failures.get(record.id);
        if (failure) {
          record.status = "FAILED";
          record.finishedAt = now;
          record.errors = [{ ...failure, failedAt: now }];
        }
        return record;
      });
    };
    return executor.isTransaction ? insert(executor) : executor.transaction().execute(insert);
  }

  async taskDependencies(params: { id: string }): Promise<TaskDependency[]> {
    const rows = await taskDependencyList(this.#db, params);
    return rows.map((r) => ({ id: r.id, taskName: r.task_name, returnValue: r.return_value }));
  }

  async taskDependents(params: { id: string; limit: number }): Promise<TaskDependent[]> {
    const rows = await taskDependentList(this.#db, params);
    return rows.map((r) => ({ id: r.id, taskName: r.task_name, status: r.status as TaskDependent["status"] }));
  }

  async taskGet(params: { id: string }): Promise<TaskRecord | undefined> {
    const row = await taskGet(this.#db, params);
    return row && rowToRecord(row);
  }

  async taskClaimBatch(params: TaskClaimBatchParams): Promise<TaskRecord[]> {
    return (await taskClaimRows(this.#db, params)).map(rowToRecord);
  }

  taskComplete(params: TaskCompleteParams & { brief: true }): Promise<TaskOutcomeBrief[]>;
  taskComplete(params: TaskCompleteParams & { brief?: false | undefined }): Promise<TaskRecord[]>;
  taskComplete(params: TaskCompleteParams): Promise<TaskRecord[] | TaskOutcomeBrief[]>;
  async taskComplete(params: TaskCompleteParams): Promise<TaskRecord[] | TaskOutcomeBrief[]> {
    if (params.brief) return taskComplete(this.#db, { ...params, brief: true });
    return (await taskComplete(this.#db, params)).map(rowToRecord);
  }

  taskFail(params: TaskFailParams & { brief: true }): Promise<TaskOutcomeBrief[]>;
  taskFail(params: TaskFailParams & { brief?: false | undefined }): Promise<TaskRecord[]>;
  taskFail(params: TaskFailParams): Promise<TaskRecord[] | TaskOutcomeBrief[]>;
  async taskFail(params: TaskFailParams): Promise<TaskRecord[] | TaskOutcomeBrief[]> {
    if (params.brief) return taskFail(this.#db, { ...params, brief: true });
    return (await taskFail(this.#db, params)).map(rowToRecord);
  }

  taskRenewLease(params: { workerId: string; ids: string[]; leaseSeconds: number }): Promise<string[]> {
    return taskRenewLease(this.#db, params);
  }

  async taskRescueExpired(params: { limit?: number } = {}): Promise<TaskRecord[]> {
    return (await taskRescueExpired(this.#db, params)).map(rowToRecord);
  }

  async taskRelease(params: { workerId: string; ids: string[] }): Promise<TaskRecord[]> {
    return (await taskRelease(this.#db, params)).map(rowToRecord);
  }

  async taskCancel(params: { id: string; reason?: string }): Promise<TaskRecord | undefined> {
    const row = await taskCancel(this.#db, params);
    return row && rowToRecord(row);
  }

  taskCancelRequested(params: { workerId: string }): Promise<string[]> {
    return taskCancelRequested(this.#db, params);
  }

  async taskRetry(params: { id: string }): Promise<TaskRecord | undefined> {
    try {
      const row = await taskRetry(this.#db, params);
      return row && rowToRecord(row);
    } catch (error) {
      // Another task holds its unique key (errand_tasks_unique_key_idx): not retried.
      if ((error as { code?: unknown }).code === "23505") return undefined;
      throw error;
    }
  }

  taskPrune(params: TaskPruneOptions): Promise<number> {
    return taskPrune(this.#db, {
      age: params.age,
      statuses: params.statuses ?? [...FINISHED_STATUSES],
      queueName: params.queueName,
      backend: params.backend,
      dryRun: params.dryRun,
    });
  }

  taskCountsCompact(): Promise<void> {
    return taskCountsCompact(this.#db);
  }

  taskRetentionPrune(params: TaskRetentionParams): Promise<RetentionBatch | null> {
    return taskRetentionPrune(this.#db, params);
  }

  taskRetryMany(params: TaskBulkParams): Promise<number> {
    return taskRetryMany(this.#db, params);
  }

  taskCancelMany(params: TaskBulkParams): Promise<number> {
    return taskCancelMany(this.#db, params);
  }

  queuePause(params: { name: string }): Promise<void> {
    return queuePause(this.#db, { name: params.name, paused: true });
  }

  queueResume(params: { name: string }): Promise<void> {
    return queuePause(this.#db, { name: params.name, paused: false });
  }

  queuePausedNames(): Promise<string[]> {
    return queuePausedNames(this.#db);
  }

  async queueList(params: { settings: Readonly<Record<string, QueueSettings>> }): Promise<QueueInfo[]> {
    const rows = await queueList(this.#db, { names: Object.keys(params.settings) });
    return rows.map((r) => {
      const s = params.settings[r.name];
      return {
        name: r.name,
        paused: r.paused,
        pending: r.pending,
        running: r.running,
        failed: r.failed,
        oldestDueAt: r.oldest_due_at,
        concurrency: s?.concurrency ?? null,
        rateLimit: s?.rateLimit ? { ...s.rateLimit } : null,
      };
    });
  }

  async taskList(params: TaskListFilters): Promise<TaskListPage> {
    const limit = listLimit(params.limit);
    const rows = await taskList(this.#db, {
      status: params.status,
      queueName: params.queueName,
      taskName: params.taskName,
      beforeSeq: params.cursor && /^\d+$/.test(params.cursor) ? params.cursor : undefined,
      limit,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(rowToRecord),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
    };
  }

  async taskStats(): Promise<TaskStats> {
    const [s, timings] = await Promise.all([taskStats(this.#db), taskTimings(this.#db)]);
    return buildStats(
      s.counts.map((c) => ({ queueName: c.queue_name, status: c.status, count: c.count })),
      s.throughput,
      { oldestDueAt: s.oldestDueAt, timings: queueTimingsOf(timings) },
    );
  }

  taskSetProgress(params: { id: string; workerId: string; done: number; total: number | null }): Promise<boolean> {
    return taskSetProgress(this.#db, params);
  }
}

/** The record of a row `taskInsert` stored (or, deduplicated, found). */
function toInsertedRecord(
  backend: string,
  row: InsertedTask,
  { request, waitingOn }: { request: EnqueueRequest; waitingOn: number },
): TaskRecord {
  if (row.existing) return { ...rowToRecord(row.existing), deduplicated: true };
  return newTaskRecord(
    { ...request, dependsOn: request.dependsOn.map((id) => id.toLowerCase()) },
    { id: row.id, backend, enqueuedAt: row.enqueued_at, runAfter: row.run_after, waitingOn },
  );
}

function toInsertRow(backend: string, request: EnqueueRequest, waitingOn: number): TaskInsertRow {
  return {
    task_name: request.taskName,
    queue_name: request.queueName,
    backend,
    priority: request.priority,
    args: JSON.stringify(request.args),
    run_after: request.runAfter,
    max_attempts: request.maxAttempts,
    repeat_seconds: request.repeat,
    repeat_until: request.repeatUntil,
    verbose_name: request.verboseName,
    creator_type: request.creator?.type ?? null,
    creator_id: request.creator?.id ?? null,
    unique_key: request.uniqueKey,
    concurrency_key: request.concurrencyKey ?? null,
    concurrency_limit: request.concurrencyKey ? (request.concurrencyLimit ?? 1) : null,
    depends_on: request.dependsOn.length > 0 ? request.dependsOn.map((id) => id.toLowerCase()) : null,
    waiting_on: waitingOn,
    traceparent: request.traceparent ?? null,
    tracestate: request.tracestate ?? null,
  };
}
