import { currentQueueSettings } from "../config/current-queue-settings";
import { ERROR_CODES, ErrandError, InvalidArgument, TaskResultDoesNotExist } from "../errors";
import { emitTaskEvent } from "../events/task-events";
import { LocalChangeFeed } from "../feed/local-change-feed";
import { checkOptions } from "../options/check-options";
import { QUEUE_NAME_RULE } from "../options/shared-rules";
import type { TaskChangeListener, Unsubscribe } from "../feed/task-change";
import { TaskResult } from "../result/task-result";
import type { TaskStore } from "../store/task-store";
import type {
  BulkTaskFilter,
  TaskDependent,
  EnqueueContext,
  QueueInfo,
  EnqueueRequest,
  PruneOptions,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
} from "../types";
import type { Backend } from "./backend";
import { invalidState } from "./invalid-state";

/**
 * A backend as a policy over a `TaskStore`: the store holds the state machine; a backend
 * says which store, what it can do (its capability flags) and what happens after an
 * enqueue or a retry (the immediate backend runs the task; the others leave it for a
 * worker, or for a test to inspect). Reading, listing, cancelling, retrying and pruning
 * are the same for every backend, here.
 */
export abstract class StoreBackend implements Backend {
  abstract readonly kind: Backend["kind"];
  abstract readonly supportsDefer: boolean;
  readonly supportsGetResult = true;
  readonly supportsPriority = true;
  readonly supportsAsyncTask = true;
  readonly alias: string;
  readonly allowedQueues: readonly string[] | null;
  /** The push feed of a backend whose tasks change only in this process (see `watchChanges`). */
  protected readonly localFeed = new LocalChangeFeed();

  constructor(alias: string, settings: { queues?: string[] | undefined }) {
    this.alias = alias;
    this.allowedQueues = settings.queues && settings.queues.length > 0 ? [...settings.queues] : null;
  }

  /** The store tasks live in (the database backend connects on first call). */
  protected abstract getStore(): Promise<TaskStore>;

  /** What happens to tasks just stored, or put back to PENDING by `retry`. Default: nothing. */
  protected async afterPending(records: TaskRecord[]): Promise<TaskRecord[]> {
    return records;
  }

  async enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord> {
    const [record] = await this.enqueueMany([request], context);
    return record!;
  }

  async enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]> {
    const store = await this.getStore();
    const records = await store.taskInsert({ backend: this.alias, tasks: requests, transaction: context?.transaction });
    // Django's task_enqueued, with the PENDING snapshot, before the immediate backend runs
    // the task (so listeners see enqueued → started → finished on every backend).
    // A deduplicated enqueue stored nothing: nothing to announce.
    const stored = records.filter((record) => !record.deduplicated);
    for (const record of stored) emitTaskEvent("enqueued", record);
    this.localFeed.announce(stored, null);
    return this.afterPending(records);
  }

  async getResult(id: string): Promise<TaskResult> {
    return new TaskResult(await this.getRecord(id), this);
  }

  async getRecord(id: string): Promise<TaskRecord> {
    const record = await (await this.getStore()).taskGet({ id });
    if (!record) throw new TaskResultDoesNotExist(id);
    return record;
  }

  async dependents(id: string, options: { limit?: number } = {}): Promise<TaskDependent[]> {
    return (await this.getStore()).taskDependents({ id, limit: options.limit ?? 100 });
  }

  async list(filters: TaskListFilters = {}): Promise<TaskListPage> {
    return (await this.getStore()).taskList(filters);
  }

  async stats(): Promise<TaskStats> {
    return (await this.getStore()).taskStats();
  }

  async cancel(id: string): Promise<TaskRecord> {
    const cancelled = await (await this.getStore()).taskCancel({ id });
    if (cancelled) {
      this.localFeed.announce(
        [cancelled],
        new Map([[cancelled.id, cancelled.status === "FAILED" ? "PENDING" : "RUNNING"]]),
      );
      return cancelled;
    }
    throw invalidState(id, "cancel", (await this.getRecord(id)).status);
  }

  async retry(id: string): Promise<TaskRecord> {
    const retried = await (await this.getStore()).taskRetry({ id });
    if (!retried) {
      const record = await this.getRecord(id);
      if (record.status === "FAILED" && record.uniqueKey !== null) {
        throw new ErrandError(
          ERROR_CODES.INVALID_STATE,
          `Cannot retry task ${id}: another task with its unique key "${record.uniqueKey}" is PENDING or RUNNING. Wait for it to finish, or use that task.`,
        );
      }
      throw invalidState(id, "retry", record.status);
    }
    this.localFeed.announce([retried], new Map([[retried.id, "FAILED"]]));
    const [after] = await this.afterPending([retried]);
    return after!;
  }

  async prune(options: PruneOptions): Promise<number> {
    // Only this backend's rows: two aliases may share one database.
    const pruned = await (await this.getStore()).taskPrune({ ...options, backend: this.alias });
    if (pruned > 0 && !options.dryRun) this.localFeed.emit({ type: "resync", reason: "deleted" });
    return pruned;
  }

  async pauseQueue(name: string): Promise<void> {
    await (await this.getStore()).queuePause({ name: checkQueueName(name, "pauseQueue") });
  }

  async resumeQueue(name: string): Promise<void> {
    await (await this.getStore()).queueResume({ name: checkQueueName(name, "resumeQueue") });
  }

  async queues(): Promise<QueueInfo[]> {
    return (await this.getStore()).queueList({ settings: currentQueueSettings() });
  }

  async retryMany(filter: BulkTaskFilter = {}): Promise<number> {
    const status = filter.status ?? "FAILED";
    if (status !== "FAILED") {
      throw new ErrandError(ERROR_CODES.INVALID_STATE, `retryMany retries FAILED tasks only, got status "${status}".`);
    }
    const retried = await (await this.getStore()).taskRetryMany({ filter: { ...filter, status } });
    if (retried > 0) this.localFeed.emit({ type: "resync", reason: "overflow" });
    return retried;
  }

  async cancelMany(filter: BulkTaskFilter = {}): Promise<number> {
    const status = filter.status ?? "PENDING";
    if (status !== "PENDING") {
      throw new ErrandError(
        ERROR_CODES.INVALID_STATE,
        `cancelMany cancels PENDING tasks only, got status "${status}". Cancel a RUNNING task with cancel(id).`,
      );
    }
    const cancelled = await (await this.getStore()).taskCancelMany({ filter: { ...filter, status } });
    if (cancelled > 0) this.localFeed.emit({ type: "resync", reason: "overflow" });
    return cancelled;
  }

  watchChanges(listener: TaskChangeListener): Promise<Unsubscribe> {
    return Promise.resolve(this.localFeed.subscribe(listener));
  }

  async close(): Promise<void> {}
}

/** The name `pauseQueue` or `resumeQueue` was given, checked by the queue name rule of every option. */
function checkQueueName(name: unknown, method: "pauseQueue" | "resumeQueue"): string {
  checkOptions(
    { name },
    { name: { ...QUEUE_NAME_RULE, required: true } },
    { where: `${method}(name)`, error: (message) => new InvalidArgument(message) },
  );
  return name as string;
}
