import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { migrate, type Database } from "@errand/db";
import { TaskResultDoesNotExist } from "../../errors";
import { TaskResult } from "../../result/task-result";
import type { DatabaseBackendLike } from "../backend";
import type {
  EnqueueContext,
  EnqueueRequest,
  PruneOptions,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
} from "../../types";
import { buildStats, listLimit } from "../build-stats";
import { newTaskRecord } from "../new-task-record";
import type { DatabaseBackendSettings } from "./database-backend-settings";
import { invalidState } from "../invalid-state";
import { loadEmbedded } from "./load-embedded";
import { rowToRecord } from "./row-to-record";
import {
  taskCancel,
  taskGet,
  taskInsert,
  taskList,
  taskPrune,
  taskRetry,
  taskStats,
  type Executor,
  type InsertedTask,
  type TaskInsertRow,
} from "./queries/index";

/**
 * Stores tasks in Postgres through Kysely and `pg`: the backend workers run. Connects on
 * first use, to `url`, `DATABASE_URL`, or the project's embedded server, and migrates.
 */
export class DatabaseBackend implements DatabaseBackendLike {
  readonly kind = "database" as const;
  readonly supportsDefer = true;
  readonly supportsGetResult = true;
  readonly supportsPriority = true;
  readonly supportsAsyncTask = true;
  readonly alias: string;
  readonly queues: readonly string[] | null;
  readonly #settings: DatabaseBackendSettings;
  #connecting: Promise<{ db: Kysely<Database>; url: string; owned: boolean }> | null = null;

  constructor(alias: string, settings: DatabaseBackendSettings) {
    this.alias = alias;
    this.#settings = settings;
    this.queues = settings.queues && settings.queues.length > 0 ? [...settings.queues] : null;
  }

  async getDb(): Promise<Kysely<Database>> {
    return (await this.#connect()).db;
  }

  async getConnectionString(): Promise<string> {
    return (await this.#connect()).url;
  }

  #connect(): Promise<{ db: Kysely<Database>; url: string; owned: boolean }> {
    this.#connecting ??= (async () => {
      const given = this.#settings.db as Kysely<Database> | undefined;
      let url = this.#settings.url ?? process.env.DATABASE_URL ?? "";
      let db: Kysely<Database>;
      if (given) {
        db = given;
      } else {
        if (!url) url = await (await loadEmbedded()).ensureEmbeddedPostgres(this.#settings.embeddedDir);
        const pool = new pg.Pool({ connectionString: url, max: this.#settings.poolSize ?? 10 });
        // Without a listener, an idle connection the server closes (restart,
        // pg_terminate_backend) crashes the process; the pool replaces it on next use.
        pool.on("error", () => undefined);
        // The pool listens only on idle clients: a connection that drops while checked out
        // emits 'error' with no listener and crashes the process. The query in flight
        // still rejects, and the pool discards the dead client on release.
        pool.on("connect", (client) => client.on("error", () => undefined));
        db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      }
      if (this.#settings.migrate !== false) await migrate(db as Kysely<unknown>);
      return { db, url, owned: !given };
    })();
    this.#connecting.catch(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #executor(context?: EnqueueContext): Promise<Executor> {
    const db = await this.getDb();
    return (context?.transaction as Executor | undefined) ?? db;
  }

  #toRow(request: EnqueueRequest): TaskInsertRow {
    return {
      task_name: request.taskName,
      queue_name: request.queueName,
      backend: this.alias,
      priority: request.priority,
      args: JSON.stringify(request.args),
      run_after: request.runAfter,
      max_attempts: request.maxAttempts,
      repeat_seconds: request.repeat,
      repeat_until: request.repeatUntil,
      verbose_name: request.verboseName,
      creator_type: request.creator?.type ?? null,
      creator_id: request.creator?.id ?? null,
    };
  }

  async enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord> {
    const [row] = await taskInsert(await this.#executor(context), [this.#toRow(request)]);
    return this.#newRecord(request, row!);
  }

  async enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]> {
    const executor = await this.#executor(context);
    const rows = await taskInsert(
      executor,
      requests.map((r) => this.#toRow(r)),
    );
    return rows.map((row, i) => this.#newRecord(requests[i]!, row));
  }

  /** The record of a task just inserted: what we sent, plus what the database chose. */
  #newRecord(request: EnqueueRequest, row: InsertedTask): TaskRecord {
    return newTaskRecord(request, {
      id: row.id,
      backend: this.alias,
      enqueuedAt: row.enqueued_at,
      runAfter: row.run_after,
    });
  }

  async getResult(id: string): Promise<TaskResult> {
    return new TaskResult(await this.getRecord(id), this);
  }

  async getRecord(id: string): Promise<TaskRecord> {
    const row = await taskGet(await this.getDb(), { id });
    if (!row) throw new TaskResultDoesNotExist(id);
    return rowToRecord(row);
  }

  async list(filters: TaskListFilters = {}): Promise<TaskListPage> {
    const limit = listLimit(filters.limit);
    const rows = await taskList(await this.getDb(), {
      status: filters.status,
      queueName: filters.queueName,
      taskName: filters.taskName,
      beforeSeq: filters.cursor && /^\d+$/.test(filters.cursor) ? filters.cursor : undefined,
      limit,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(rowToRecord),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
    };
  }

  async stats(): Promise<TaskStats> {
    const s = await taskStats(await this.getDb());
    return buildStats(
      s.counts.map((c) => ({ queueName: c.queue_name, status: c.status, count: c.count })),
      s.throughput,
      s.oldestDueAt,
    );
  }

  async cancel(id: string): Promise<TaskRecord> {
    const row = await taskCancel(await this.getDb(), { id });
    if (row) return rowToRecord(row);
    const current = await this.getRecord(id);
    throw invalidState(id, "cancel", current.status);
  }

  async retry(id: string): Promise<TaskRecord> {
    const row = await taskRetry(await this.getDb(), { id });
    if (row) return rowToRecord(row);
    const current = await this.getRecord(id);
    throw invalidState(id, "retry", current.status);
  }

  async prune(options: PruneOptions): Promise<number> {
    return taskPrune(await this.getDb(), {
      age: options.age,
      statuses: options.statuses ?? ["SUCCESSFUL", "FAILED"],
      queueName: options.queueName,
      dryRun: options.dryRun,
    });
  }

  async close(): Promise<void> {
    const connecting = this.#connecting;
    this.#connecting = null;
    if (!connecting) return;
    const conn = await connecting.catch(() => null);
    if (conn?.owned) await conn.db.destroy();
  }
}
