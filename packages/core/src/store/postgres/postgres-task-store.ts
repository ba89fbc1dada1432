import { taskTimings } from "./task-timings";
import { queueTimingsOf } from "../timing-buckets";
import type { Kysely } from "kysely";
import type { Database } from "@errand/db";
import {
  taskCancel,
  taskCancelRequested,
  taskClaimBatch,
  taskComplete,
  taskFail,
  taskGet,
  taskInsert,
  taskList,
  taskPrune,
  taskRelease,
  taskRenewLease,
  taskRescueExpired,
  taskRetry,
  taskSetProgress,
  taskStats,
  type Executor,
  type TaskInsertRow,
} from "./index";
import { rowToRecord } from "./row-to-record";
import type { EnqueueRequest, TaskListFilters, TaskListPage, TaskRecord, TaskStats } from "../../types";
import { buildStats } from "../build-stats";
import { listLimit } from "../list-limit";
import { newTaskRecord } from "../new-task-record";
import type {
  TaskClaimBatchParams,
  TaskCompleteParams,
  TaskFailParams,
  TaskInsertParams,
  TaskOutcomeBrief,
  TaskPruneOptions,
  TaskStore,
} from "../task-store";

/**
 * The task store in Postgres: each operation is one of the query functions in
 * the query functions beside it in `store/postgres/` (the SQL layer, where the locking is explained), with rows
 * mapped to records. The database backend and, later, the worker run on it.
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
    const rows = await taskInsert(
      executor,
      params.tasks.map((task) => toInsertRow(params.backend, task)),
    );
    return rows.map((row, i) =>
      row.existing
        ? { ...rowToRecord(row.existing), deduplicated: true }
        : newTaskRecord(params.tasks[i]!, {
            id: row.id,
            backend: params.backend,
            enqueuedAt: row.enqueued_at,
            runAfter: row.run_after,
          }),
    );
  }

  async taskGet(params: { id: string }): Promise<TaskRecord | undefined> {
    const row = await taskGet(this.#db, params);
    return row && rowToRecord(row);
  }

  async taskClaimBatch(params: TaskClaimBatchParams): Promise<TaskRecord[]> {
    return (await taskClaimBatch(this.#db, params)).map(rowToRecord);
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
      statuses: params.statuses ?? ["SUCCESSFUL", "FAILED"],
      queueName: params.queueName,
      backend: params.backend,
      dryRun: params.dryRun,
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

function toInsertRow(backend: string, request: EnqueueRequest): TaskInsertRow {
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
    traceparent: request.traceparent ?? null,
    tracestate: request.tracestate ?? null,
  };
}
