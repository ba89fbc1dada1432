import { randomUUID } from "node:crypto";
import type { TaskErrorRow } from "@errand/db";
import type {
  QueueInfo,
  QueueSettings,
  TaskDependency,
  TaskDependent,
  TaskError,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
  TaskStatus,
} from "../types";
import { isFlowLimited, limitedQueueNames, queueRoom } from "./claim-flow";
import { matchesBulkFilter, memoryQueueList, MemoryQueues } from "./memory-queues";
import { checkDependencies, type StoredDependency } from "./check-dependencies";
import { dependencyFailedError } from "./dependency-failed-error";
import { memoryTaskList } from "./memory-task-list";
import { memoryTaskStats } from "./memory-task-stats";
import { leaseExpiredError } from "./lease-expired-error";
import { memoryDueTasks } from "./memory-due-tasks";
import { MemoryFinishedTasks } from "./memory-finished-tasks";
import { MemoryUniqueKeys } from "./memory-unique-keys";
import { newTaskRecord } from "./new-task-record";
import { repeatNextRun } from "./repeat-next-run";
import { finishedBy } from "./finished-by";
import { compareStoredClaimOrder } from "./claim-order";
import { FINISHED_STATUSES, isFinishedStatus } from "../task/task-status";
import { cancelledWhileRunningError, taskCancelledError } from "./task-cancelled-error";
import type {
  TaskBulkParams,
  TaskClaimBatchParams,
  TaskCompleteParams,
  TaskFailParams,
  TaskInsertParams,
  TaskPruneOptions,
  TaskRetentionParams,
  RetentionBatch,
  TaskStore,
} from "./task-store";

/** A stored task: its record plus what only the store sees (as the row's hidden columns). */
interface StoredTask {
  record: TaskRecord;
  /** Enqueue order: ties in the claim order, and the list cursor (as `seq`). */
  seq: number;
  /** When the task was first due; a repeat's next run counts from it. */
  scheduledAt: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toTaskError(row: TaskErrorRow): TaskError {
  return { ...row, failedAt: new Date(row.failedAt) };
}

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/**
 * The task store in this process's memory, with the same state machine as
 * `PostgresTaskStore` (one conformance suite checks both): the store of the immediate and
 * dummy backends, and a fast store for tests. Records go in and out as copies, so a caller
 * never changes a stored task by accident and `refresh()` sees later transitions.
 *
 * @example
 * const store = new MemoryTaskStore();
 * await store.taskInsert({ backend: "fake", tasks: [request] });
 * store.records(); // every task, oldest first
 */
export class MemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, StoredTask>();
  readonly #uniqueKeys = new MemoryUniqueKeys<StoredTask>();
  readonly #queues = new MemoryQueues();
  readonly #finished: MemoryFinishedTasks;
  /** Who waits on a task: dependency id → dependent ids (`errand_task_dependencies`' reverse index). */
  readonly #dependents = new Map<string, string[]>();
  #nextSeq = 1;
  /**
   * @param options.maxFinished keep at most this many finished tasks: past it, the one that
   *   finished longest ago is forgotten (its `getResult` then throws `TaskResultDoesNotExist`).
   *   PENDING and RUNNING tasks are always kept. Default: no limit.
   */
  constructor(options: { maxFinished?: number | undefined } = {}) {
    this.#finished = new MemoryFinishedTasks(options.maxFinished ?? Infinity);
  }

  /** Counts `task` as finished now, and forgets the oldest finished tasks past the limit. */
  #finish(task: StoredTask): void {
    for (const id of this.#finished.finish(task.record.id)) {
      // As retention: a task an unfinished task still waits on is kept.
      if (!this.#hasUnfinishedDependents(id)) this.#forget(id);
    }
  }

  #forget(id: string): void {
    this.#tasks.delete(id);
    this.#finished.delete(id);
    this.#dependents.delete(id);
  }

  #hasUnfinishedDependents(id: string): boolean {
    return (this.#dependents.get(id) ?? []).some((d) => {
      const status = this.#tasks.get(d)?.record.status;
      return status !== undefined && !isFinishedStatus(status);
    });
  }

  /**
   * What a move of `task` from `previous` to its status now does to the tasks around it (the
   * twin of migration 0007's trigger): a success takes one off each dependent's `waitingOn`;
   * a failure fails its PENDING dependents with `DependencyFailed`, transitively; a retried
   * dependent counts again what it waits on.
   */
  #moved(task: StoredTask, previous: TaskStatus, now = new Date()): void {
    const r = task.record;
    if (r.status === previous) return;
    if (r.status === "PENDING" && previous === "FAILED" && r.dependsOn.length > 0) {
      r.waitingOn = r.dependsOn.filter((id) => {
        const status = this.#tasks.get(id)?.record.status;
        return status !== undefined && status !== "SUCCESSFUL";
      }).length;
    }
    if (!isFinishedStatus(r.status)) return;
    for (const id of this.#dependents.get(r.id) ?? []) {
      const dependent = this.#tasks.get(id);
      if (!dependent || dependent.record.status !== "PENDING") continue;
      const d = dependent.record;
      if (r.status === "SUCCESSFUL") {
        if (d.waitingOn > 0) d.waitingOn -= 1;
        continue;
      }
      const failed = d.dependsOn.map((dep) => this.#tasks.get(dep)?.record).find((dep) => dep?.status === "FAILED");
      d.status = "FAILED";
      d.finishedAt = now;
      d.errors.push(toTaskError(dependencyFailedError(failed ?? r, d.attempts, now)));
      this.#finish(dependent);
      this.#moved(dependent, "PENDING", now);
    }
  }

  /** Stores a new PENDING task under the next `seq`, first due at its `runAfter`. */
  #add(record: TaskRecord): StoredTask {
    const stored: StoredTask = {
      record,
      seq: this.#nextSeq++,
      scheduledAt: record.runAfter,
      lockedBy: null,
      lockedUntil: null,
    };
    this.#tasks.set(record.id, stored);
    return stored;
  }

  /** The stored task with this id, matched case-insensitively like a uuid column. */
  #find(id: unknown): StoredTask | undefined {
    return typeof id === "string" && UUID.test(id) ? this.#tasks.get(id.toLowerCase()) : undefined;
  }

  /** Held: RUNNING and locked by this worker. */
  #held(id: string, workerId: string): StoredTask | undefined {
    const task = this.#find(id);
    return task && task.record.status === "RUNNING" && task.lockedBy === workerId ? task : undefined;
  }

  #unlock(task: StoredTask): void {
    task.lockedBy = null;
    task.lockedUntil = null;
  }

  /** Every task, oldest first (copies). */
  records(): TaskRecord[] {
    return [...this.#tasks.values()].map((t) => structuredClone(t.record));
  }

  /** Who holds this task's lease and until when (both `null` unless RUNNING), as Postgres stores it. */
  lease(id: string): { lockedBy: string | null; lockedUntil: Date | null } | undefined {
    const task = this.#tasks.get(id);
    return task && { lockedBy: task.lockedBy, lockedUntil: task.lockedUntil };
  }

  /** Forgets every task. */
  clear(): void {
    this.#tasks.clear();
    this.#dependents.clear();
    this.#finished.clear();
    this.#uniqueKeys.clear();
    this.#queues.clear();
  }

  /** How many tasks it holds, in every status. */
  get size(): number {
    return this.#tasks.size;
  }

  async taskInsert(params: TaskInsertParams): Promise<TaskRecord[]> {
    const now = new Date();
    // Checked for every task before any is stored: a refused dependency stores nothing.
    const stored = new Map<string, StoredDependency>();
    for (const id of params.tasks.flatMap((t) => t.dependsOn)) {
      const found = this.#find(id)?.record;
      if (found) stored.set(found.id, found);
    }
    const checked = checkDependencies(params.tasks, params.backend, stored);
    return params.tasks.map((request, i) => {
      const holder = request.uniqueKey === null ? undefined : this.#uniqueKeys.holder(request.uniqueKey);
      if (holder) return { ...structuredClone(holder.record), deduplicated: true };
      const runAfter = request.runAfter ?? now;
      const { waitingOn, failed } = checked[i]!;
      const dependsOn = request.dependsOn.map((id) => id.toLowerCase());
      const record = newTaskRecord(structuredClone({ ...request, dependsOn }), {
        id: randomUUID(),
        backend: params.backend,
        enqueuedAt: now,
        runAfter,
        waitingOn,
      });
      const task = this.#add(record);
      this.#uniqueKeys.remember(task);
      for (const id of dependsOn) this.#dependents.set(id, [...(this.#dependents.get(id) ?? []), record.id]);
      if (failed) {
        // A dependency already failed: this task never runs.
        record.status = "FAILED";
        record.finishedAt = now;
        record.errors.push(toTaskError(dependencyFailedError(failed, 0, now)));
        const copy = structuredClone(record);
        this.#finish(task);
        return copy;
      }
      return structuredClone(record);
    });
  }

  async taskDependencies(params: { id: string }): Promise<TaskDependency[]> {
    const task = this.#find(params.id);
    if (!task) return [];
    return task.record.dependsOn.flatMap((id) => {
      const dependency = this.#tasks.get(id)?.record;
      return dependency
        ? [{ id, taskName: dependency.taskName, returnValue: structuredClone(dependency.returnValue) }]
        : [];
    });
  }

  async taskDependents(params: { id: string; limit: number }): Promise<TaskDependent[]> {
    const task = this.#find(params.id);
    if (!task) return [];
    return (this.#dependents.get(task.record.id) ?? [])
      .flatMap((id) => this.#tasks.get(id) ?? [])
      .sort((a, b) => a.seq - b.seq)
      .slice(0, params.limit)
      .map(({ record: r }) => ({ id: r.id, taskName: r.taskName, status: r.status }));
  }

  async taskGet(params: { id: string }): Promise<TaskRecord | undefined> {
    const task = this.#find(params.id);
    return task && structuredClone(task.record);
  }

  async taskClaimBatch(params: TaskClaimBatchParams): Promise<TaskRecord[]> {
    if (params.limit <= 0) return [];
    const now = new Date();
    const due = params.ignoreFlow
      ? memoryDueTasks(this.#tasks, params, now)
      : this.#flowFilter(
          memoryDueTasks(this.#tasks, { ...params, limit: Infinity }, now).filter(
            (t) => !this.#queues.paused.has(t.record.queueName),
          ),
          params,
          now.getTime(),
        );
    return due.map((task) => {
      const r = task.record;
      r.status = "RUNNING";
      r.attempts += 1;
      r.workerIds.push(params.workerId);
      r.startedAt ??= now;
      r.lastAttemptedAt = now;
      task.lockedBy = params.workerId;
      task.lockedUntil = addSeconds(now, params.leaseSeconds);
      return structuredClone(r);
    });
  }

  /**
   * The claim's flow control, as `taskClaimBatch` in Postgres: first the tasks no limit
   * applies to, up to `limit`; then, up to the free slots, tasks of limited queues and
   * keyed tasks: the first `concurrencyLimit − running` of each key, then the first
   * `room` of each queue. `due` is in claim order; so is the answer.
   */
  #flowFilter(due: StoredTask[], params: TaskClaimBatchParams, now: number): StoredTask[] {
    const limited = new Set(limitedQueueNames(params.flow));
    const free = due.filter((t) => !isFlowLimited(t.record, limited)).slice(0, params.limit);
    let room = Math.min(params.flow?.freeSlots ?? params.limit, params.limit - free.length);
    if (room <= 0) return free;
    const runningByKey = new Map<string, number>();
    const runningByQueue = new Map<string, number>();
    for (const { record: r } of this.#tasks.values()) {
      if (r.status !== "RUNNING") continue;
      if (r.concurrencyKey) runningByKey.set(r.concurrencyKey, (runningByKey.get(r.concurrencyKey) ?? 0) + 1);
      runningByQueue.set(r.queueName, (runningByQueue.get(r.queueName) ?? 0) + 1);
    }
    const keyRank = new Map<string, number>();
    const queueRank = new Map<string, number>();
    const settings: Readonly<Record<string, QueueSettings>> = params.flow?.queues ?? {};
    const picked: StoredTask[] = [];
    for (const t of due) {
      const r = t.record;
      if (!isFlowLimited(r, limited)) continue;
      if (r.concurrencyKey) {
        const rank = (keyRank.get(r.concurrencyKey) ?? 0) + 1;
        keyRank.set(r.concurrencyKey, rank);
        if (rank > (r.concurrencyLimit ?? 1) - (runningByKey.get(r.concurrencyKey) ?? 0)) continue;
      }
      const qs = settings[r.queueName];
      const rank = (queueRank.get(r.queueName) ?? 0) + 1;
      queueRank.set(r.queueName, rank);
      const starts = qs?.rateLimit ? this.#queues.startsInWindow(r.queueName, qs.rateLimit.periodSeconds, now) : 0;
      if (rank > queueRoom(qs, runningByQueue.get(r.queueName) ?? 0, starts)) continue;
      if (room-- <= 0) break;
      picked.push(t);
    }
    for (const name of limited) {
      const rate = settings[name]?.rateLimit;
      if (rate)
        this.#queues.recordStarts(name, {
          count: picked.filter((t) => t.record.queueName === name).length,
          now,
          periodSeconds: rate.periodSeconds,
        });
    }
    return [...free, ...picked].sort(compareStoredClaimOrder);
  }

  async taskComplete(params: TaskCompleteParams): Promise<TaskRecord[]> {
    const now = new Date();
    const done: TaskRecord[] = [];
    for (const { id, returnValue, startedAt } of params.results) {
      const task = this.#held(id, params.workerId);
      if (!task) continue;
      const r = task.record;
      stampStart(r, startedAt);
      r.finishedAt = now;
      this.#unlock(task);
      if (r.cancelRequestedAt !== null) {
        // Cancelled while it ran: the result is dropped.
        r.status = "FAILED";
        r.errors.push(toTaskError(cancelledWhileRunningError(r.attempts, now)));
        done.push(structuredClone(r));
        this.#finish(task);
        this.#moved(task, "RUNNING", now);
        continue;
      }
      r.status = "SUCCESSFUL";
      r.returnValue = JSON.parse(returnValue) as unknown;
      done.push(structuredClone(r));
      this.#finish(task);
      this.#moved(task, "RUNNING", now);
      const next = r.repeat !== null && params.scheduleRepeats !== false && repeatNextRun(r, task.scheduledAt, now);
      if (next) this.#add(next);
    }
    return done;
  }

  async taskFail(params: TaskFailParams): Promise<TaskRecord[]> {
    const now = new Date();
    const out: TaskRecord[] = [];
    for (const { id, error, retryDelay, startedAt } of params.failures) {
      const task = this.#held(id, params.workerId);
      if (!task) continue;
      const r = task.record;
      stampStart(r, startedAt);
      r.errors.push(toTaskError(error));
      if (retryDelay !== null && r.attempts < r.maxAttempts && r.cancelRequestedAt === null) {
        r.status = "PENDING";
        r.runAfter = addSeconds(now, retryDelay);
        r.finishedAt = null;
      } else {
        r.status = "FAILED";
        r.finishedAt = now;
      }
      this.#unlock(task);
      out.push(structuredClone(r));
      if (r.status === "FAILED") this.#finish(task);
      this.#moved(task, "RUNNING", now);
    }
    return out;
  }

  async taskRenewLease(params: { workerId: string; ids: string[]; leaseSeconds: number }): Promise<string[]> {
    const now = new Date();
    const kept: string[] = [];
    for (const id of params.ids) {
      const task = this.#held(id, params.workerId);
      if (!task) continue;
      task.lockedUntil = addSeconds(now, params.leaseSeconds);
      kept.push(task.record.id);
    }
    return kept;
  }

  async taskRescueExpired(params: { limit?: number } = {}): Promise<TaskRecord[]> {
    const now = new Date();
    const lapsed = [...this.#tasks.values()]
      .filter((t) => t.record.status === "RUNNING" && t.lockedUntil !== null && t.lockedUntil < now)
      .sort((a, b) => a.lockedUntil!.getTime() - b.lockedUntil!.getTime())
      .slice(0, params.limit ?? 1000);
    return lapsed.map((task) => {
      const r = task.record;
      const retry = r.attempts < r.maxAttempts && r.cancelRequestedAt === null;
      r.status = retry ? "PENDING" : "FAILED";
      r.finishedAt = retry ? null : now;
      if (retry) r.runAfter = now;
      const lease = { lockedBy: task.lockedBy!, lockedUntil: task.lockedUntil!, attempt: r.attempts };
      r.errors.push(toTaskError(leaseExpiredError(lease, now)));
      this.#unlock(task);
      const copy = structuredClone(r);
      if (!retry) this.#finish(task);
      this.#moved(task, "RUNNING", now);
      return copy;
    });
  }

  async taskRelease(params: { workerId: string; ids: string[] }): Promise<TaskRecord[]> {
    const out: TaskRecord[] = [];
    for (const id of params.ids) {
      const task = this.#held(id, params.workerId);
      if (!task) continue;
      const r = task.record;
      if (r.attempts === 1) {
        r.startedAt = null;
        r.lastAttemptedAt = null;
      }
      r.attempts -= 1;
      r.workerIds.pop();
      if (r.cancelRequestedAt !== null) {
        r.status = "FAILED";
        r.finishedAt = new Date();
        r.errors.push(toTaskError(taskCancelledError(undefined, r.finishedAt)));
        r.cancelRequestedAt = null;
      } else {
        r.status = "PENDING";
      }
      this.#unlock(task);
      out.push(structuredClone(r));
      this.#moved(task, "RUNNING");
    }
    return out;
  }

  async taskCancel(params: { id: string; reason?: string }): Promise<TaskRecord | undefined> {
    const task = this.#find(params.id);
    if (!task || (task.record.status !== "PENDING" && task.record.status !== "RUNNING")) return undefined;
    const r = task.record;
    if (r.status === "RUNNING") {
      r.cancelRequestedAt ??= new Date();
      return structuredClone(r);
    }
    r.status = "FAILED";
    r.finishedAt = new Date();
    r.errors.push(toTaskError(taskCancelledError(params.reason, r.finishedAt)));
    const copy = structuredClone(r);
    this.#finish(task);
    this.#moved(task, "PENDING", r.finishedAt);
    return copy;
  }

  async taskCancelRequested(params: { workerId: string }): Promise<string[]> {
    return [...this.#tasks.values()]
      .filter((t) => t.record.status === "RUNNING" && t.lockedBy === params.workerId && t.record.cancelRequestedAt)
      .map((t) => t.record.id);
  }

  async taskRetry(params: { id: string }): Promise<TaskRecord | undefined> {
    const task = this.#find(params.id);
    if (!task || task.record.status !== "FAILED") return undefined;
    const r = task.record;
    // As the unique index: another task holds the key.
    if (r.uniqueKey !== null && this.#uniqueKeys.holder(r.uniqueKey)) return undefined;
    this.#uniqueKeys.remember(task);
    r.cancelRequestedAt = null;
    r.status = "PENDING";
    this.#finished.delete(r.id);
    r.finishedAt = null;
    r.runAfter = new Date();
    r.maxAttempts = Math.max(r.maxAttempts, r.attempts + 1);
    r.progress = null;
    this.#moved(task, "FAILED");
    return structuredClone(r);
  }

  async taskPrune(params: TaskPruneOptions): Promise<number> {
    const statuses: string[] = (params.statuses ?? FINISHED_STATUSES).filter(isFinishedStatus);
    const now = Date.now();
    let count = 0;
    for (const [id, { record: r }] of this.#tasks) {
      if (
        finishedBy(r.finishedAt, params.age, now) &&
        statuses.includes(r.status) &&
        !this.#hasUnfinishedDependents(id) &&
        (!params.queueName || r.queueName === params.queueName) &&
        (!params.backend || r.backend === params.backend)
      ) {
        count += 1;
        if (params.dryRun) continue;
        this.#forget(id);
      }
    }
    return count;
  }
  /** Nothing to fold: the memory store counts from its records. */
  async taskCountsCompact(): Promise<void> {}

  async taskRetentionPrune(params: TaskRetentionParams): Promise<RetentionBatch> {
    const now = Date.now();
    const past = (r: TaskRecord) => {
      const seconds =
        r.status === "SUCCESSFUL" ? params.successfulSeconds : r.status === "FAILED" ? params.failedSeconds : null;
      return seconds !== null && finishedBy(r.finishedAt, seconds, now);
    };
    // Oldest first, like the Postgres batch.
    const doomed = [...this.#tasks.values()]
      .filter(({ record: r }) => past(r))
      .sort((a, b) => a.record.finishedAt!.getTime() - b.record.finishedAt!.getTime())
      .slice(0, params.limit);
    const batch: RetentionBatch = { successful: 0, failed: 0 };
    for (const { record: r } of doomed) {
      if (r.status === "SUCCESSFUL") batch.successful += 1;
      else batch.failed += 1;
      this.#tasks.delete(r.id);
      this.#finished.delete(r.id);
    }
    return batch;
  }

  async taskRetryMany(params: TaskBulkParams): Promise<number> {
    const filter = { ...params.filter, status: "FAILED" as const };
    let count = 0;
    for (const { record } of [...this.#tasks.values()]) {
      if (matchesBulkFilter(record, filter) && (await this.taskRetry({ id: record.id }))) count += 1;
    }
    return count;
  }

  async taskCancelMany(params: TaskBulkParams): Promise<number> {
    const filter = { ...params.filter, status: "PENDING" as const };
    let count = 0;
    for (const { record } of [...this.#tasks.values()]) {
      if (matchesBulkFilter(record, filter) && (await this.taskCancel({ id: record.id }))) count += 1;
    }
    return count;
  }

  async queuePause(params: { name: string }): Promise<void> {
    this.#queues.known.add(params.name);
    this.#queues.paused.add(params.name);
  }

  async queueResume(params: { name: string }): Promise<void> {
    this.#queues.known.add(params.name);
    this.#queues.paused.delete(params.name);
  }

  async queuePausedNames(): Promise<string[]> {
    return [...this.#queues.paused].sort();
  }

  async queueList(params: { settings: Readonly<Record<string, QueueSettings>> }): Promise<QueueInfo[]> {
    return memoryQueueList(
      [...this.#tasks.values()].map((t) => t.record),
      this.#queues,
      params.settings,
    );
  }

  async taskList(params: TaskListFilters): Promise<TaskListPage> {
    return memoryTaskList(this.#tasks.values(), params);
  }

  async taskStats(): Promise<TaskStats> {
    return memoryTaskStats([...this.#tasks.values()].map((t) => t.record));
  }

  async taskSetProgress(params: {
    id: string;
    workerId: string;
    done: number;
    total: number | null;
  }): Promise<boolean> {
    const task = this.#held(params.id, params.workerId);
    if (!task) return false;
    task.record.progress = { done: params.done, total: params.total };
    return true;
  }
}

/** When the function really started: the attempt's stamp, and the task's on its first attempt. */
function stampStart(r: TaskRecord, startedAt: Date | undefined): void {
  if (!startedAt) return;
  r.lastAttemptedAt = new Date(startedAt);
  if (r.attempts === 1) r.startedAt = new Date(startedAt);
}
