import type { Kysely, Transaction } from "kysely";
import type { Database } from "@errand/db";
import type { TaskCreator, TaskRecord, TaskStatus } from "../result/task-record";
import type { JsonValue } from "../json/normalize-json";
import type { TaskResult } from "../result/task-result";

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
}

/** Filters and paging of `Backend.list`. Newest first. */
export interface TaskListFilters {
  status?: TaskStatus | undefined;
  queueName?: string | undefined;
  taskName?: string | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** 1…500, default 50. */
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
}

/** What `prune` removes: finished tasks older than `age` seconds. */
export interface PruneOptions {
  /** Seconds since `finished_at`. 0 prunes every finished task. */
  age: number;
  /** Default: both SUCCESSFUL and FAILED. */
  statuses?: ("SUCCESSFUL" | "FAILED")[] | undefined;
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

/**
 * Where tasks are stored. Every backend passes the same conformance suite
 * (`packages/core/test/conformance.test.ts`).
 */
export interface Backend {
  /** The key it is configured under, e.g. "default". */
  readonly alias: string;
  readonly kind: "database" | "immediate" | "dummy";
  /** `runAfter`/`delay` can be honoured. */
  readonly supportsDefer: boolean;
  /** Results can be fetched by id later. */
  readonly supportsGetResult: boolean;
  /** Priority is stored (and, for a backend that runs tasks later, honoured). */
  readonly supportsPriority: boolean;
  /** Async functions can be tasks (always true here; kept for parity with Django). */
  readonly supportsAsyncTask: boolean;
  /** The queues tasks may use; `null` allows any name. */
  readonly queues: readonly string[] | null;

  enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord>;
  /** Stores every request in one round trip where the backend can. */
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
  stats(): Promise<TaskStats>;
  /** PENDING → FAILED with a `TaskCancelled` error. @throws ErrandError `INVALID_STATE` otherwise. */
  cancel(id: string): Promise<TaskRecord>;
  /** FAILED → PENDING (same row, same args, errors kept). @throws ErrandError `INVALID_STATE` otherwise. */
  retry(id: string): Promise<TaskRecord>;
  /** @returns how many tasks were (or, with `dryRun`, would be) deleted. */
  prune(options: PruneOptions): Promise<number>;
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
}
