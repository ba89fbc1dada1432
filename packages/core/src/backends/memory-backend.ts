import { randomUUID } from "node:crypto";
import { TaskResultDoesNotExist } from "../errors";
import { TaskResult } from "../result/task-result";
import type { Backend } from "./backend";
import type {
  EnqueueContext,
  EnqueueRequest,
  PruneOptions,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
  TaskStatus,
} from "../types";
import { buildStats, listLimit } from "./build-stats";
import { newTaskRecord } from "./new-task-record";
import { invalidState } from "./invalid-state";

/**
 * The in-memory store the immediate and dummy backends share: records kept in enqueue
 * order, handed out as copies so that `refresh()` sees later changes.
 */
export abstract class MemoryBackend implements Backend {
  abstract readonly kind: "immediate" | "dummy";
  abstract readonly supportsDefer: boolean;
  readonly supportsGetResult = true;
  // Priority is stored and shown; neither backend orders anything, so it is a no-op, which
  // lets tests swap them in for the database backend.
  readonly supportsPriority = true;
  readonly supportsAsyncTask = true;
  readonly alias: string;
  readonly queues: readonly string[] | null;
  protected readonly records = new Map<string, TaskRecord>();
  /** Enqueue sequence numbers, the list cursor (as the database backend's `seq`). */
  readonly #seq = new Map<string, number>();
  #nextSeq = 1;

  /** Stores a new record in enqueue order. */
  protected store(record: TaskRecord): void {
    this.records.set(record.id, record);
    this.#seq.set(record.id, this.#nextSeq++);
  }

  constructor(alias: string, settings: { queues?: string[] | undefined }) {
    this.alias = alias;
    this.queues = settings.queues && settings.queues.length > 0 ? [...settings.queues] : null;
  }

  protected newRecord(request: EnqueueRequest): TaskRecord {
    const now = new Date();
    return newTaskRecord(
      { ...request, args: structuredClone(request.args) },
      { id: randomUUID(), backend: this.alias, enqueuedAt: now, runAfter: request.runAfter ?? now },
    );
  }

  abstract enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord>;

  async enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]> {
    const out: TaskRecord[] = [];
    for (const request of requests) out.push(await this.enqueue(request, context));
    return out;
  }

  async getResult(id: string): Promise<TaskResult> {
    return new TaskResult(await this.getRecord(id), this);
  }

  async getRecord(id: string): Promise<TaskRecord> {
    const record = this.records.get(typeof id === "string" ? id.toLowerCase() : id);
    if (!record) throw new TaskResultDoesNotExist(id);
    return structuredClone(record);
  }

  async list(filters: TaskListFilters = {}): Promise<TaskListPage> {
    const limit = listLimit(filters.limit);
    const all = [...this.records.values()]
      .reverse()
      .filter(
        (r) =>
          (!filters.status || r.status === filters.status) &&
          (!filters.queueName || r.queueName === filters.queueName) &&
          (!filters.taskName || r.taskName === filters.taskName),
      );
    const before = filters.cursor && /^\d+$/.test(filters.cursor) ? Number(filters.cursor) : Infinity;
    const older = all.filter((r) => this.#seq.get(r.id)! < before);
    const page = older.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: structuredClone(page),
      nextCursor: older.length > limit && last ? String(this.#seq.get(last.id)) : null,
    };
  }

  async stats(): Promise<TaskStats> {
    const counts = new Map<string, { queueName: string; status: TaskStatus; count: number }>();
    const minutes = new Map<number, { minute: Date; successful: number; failed: number }>();
    const hourAgo = Date.now() - 3_600_000;
    let oldestDueAt: Date | null = null;
    for (const r of this.records.values()) {
      const key = `${r.queueName}\u0000${r.status}`;
      const c = counts.get(key) ?? { queueName: r.queueName, status: r.status, count: 0 };
      c.count += 1;
      counts.set(key, c);
      if (r.finishedAt && r.finishedAt.getTime() > hourAgo) {
        const minute = Math.floor(r.finishedAt.getTime() / 60_000) * 60_000;
        const m = minutes.get(minute) ?? { minute: new Date(minute), successful: 0, failed: 0 };
        if (r.status === "SUCCESSFUL") m.successful += 1;
        else m.failed += 1;
        minutes.set(minute, m);
      }
      if (r.status === "PENDING" && r.runAfter.getTime() <= Date.now() && (!oldestDueAt || r.runAfter < oldestDueAt)) {
        oldestDueAt = r.runAfter;
      }
    }
    return buildStats(
      [...counts.values()].sort((a, b) => a.queueName.localeCompare(b.queueName)),
      [...minutes.values()].sort((a, b) => a.minute.getTime() - b.minute.getTime()),
      oldestDueAt,
    );
  }

  async cancel(id: string): Promise<TaskRecord> {
    const record = this.records.get(id);
    if (!record) throw new TaskResultDoesNotExist(id);
    if (record.status !== "PENDING") throw invalidState(id, "cancel", record.status);
    record.status = "FAILED";
    record.finishedAt = new Date();
    record.errors.push({
      exceptionClass: "TaskCancelled",
      message: "Cancelled before it started.",
      traceback: "TaskCancelled: Cancelled before it started.",
      attempt: 0,
      failedAt: record.finishedAt,
    });
    return structuredClone(record);
  }

  async retry(id: string): Promise<TaskRecord> {
    const record = this.records.get(id);
    if (!record) throw new TaskResultDoesNotExist(id);
    if (record.status !== "FAILED") throw invalidState(id, "retry", record.status);
    record.status = "PENDING";
    record.finishedAt = null;
    record.runAfter = new Date();
    record.maxAttempts = Math.max(record.maxAttempts, record.attempts + 1);
    record.progress = null;
    await this.afterRetry(record);
    return structuredClone(record);
  }

  /** What happens to a task put back to PENDING by `retry` (the immediate backend runs it). */
  protected async afterRetry(_record: TaskRecord): Promise<void> {}

  async prune(options: PruneOptions): Promise<number> {
    const statuses = options.statuses ?? ["SUCCESSFUL", "FAILED"];
    const cutoff = Date.now() - options.age * 1000;
    let count = 0;
    for (const [id, r] of this.records) {
      if (
        r.finishedAt &&
        r.finishedAt.getTime() <= cutoff &&
        (statuses as string[]).includes(r.status) &&
        (!options.queueName || r.queueName === options.queueName)
      ) {
        count += 1;
        if (!options.dryRun) this.records.delete(id);
      }
    }
    return count;
  }

  async close(): Promise<void> {}
}
