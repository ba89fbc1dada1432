import { ERROR_CODES, ErrandError } from "../errors";
import type { TaskChangeListener, Unsubscribe } from "../feed/task-change";
import { TaskResult } from "../result/task-result";
import type {
  BulkTaskFilter,
  EnqueueContext,
  EnqueueRequest,
  PruneOptions,
  QueueInfo,
  TaskDependent,
  TaskListFilters,
  TaskListPage,
  TaskRecord,
  TaskStats,
} from "../types";
import type { Backend } from "./backend";
import { describeBackend } from "./describe-backend";

/** What a backend class is given besides its alias: its entry in `configure({ backends })`, minus `backend`. */
export interface BackendOptions {
  /** The queues tasks may use; none or empty allows any name. */
  queues?: string[] | undefined;
  [option: string]: unknown;
}

/**
 * The base of your own backend (Django's `BaseTaskBackend`): implement `enqueue`, turn on
 * the capabilities you support, and override what you can do. Everything else refuses with
 * an `ErrandError` `NOT_SUPPORTED` that names the backend, so `using()` and the tRPC router
 * say what is missing instead of failing somewhere deeper.
 *
 * @example
 * class LoggingBackend extends BaseBackend<{ prefix?: string; to?: string }> {
 *   override readonly supportsDefer = true;
 *   override readonly supportsPriority = true;
 *   override readonly supportsGetResult = true;
 *   readonly #inner = getBackend(this.options.to ?? "default");
 *   async enqueue(request: EnqueueRequest, context?: EnqueueContext) {
 *     console.info(`${this.options.prefix ?? ""}enqueue ${request.taskName}`);
 *     return this.#inner.enqueue(request, context);
 *   }
 *   override getRecord(id: string) { return this.#inner.getRecord(id); }
 * }
 * configure({ backends: { default: { backend: "database" }, logged: { backend: LoggingBackend, prefix: "[jobs] " } } });
 */
export abstract class BaseBackend<TOptions extends BackendOptions = BackendOptions> implements Backend {
  readonly alias: string;
  /** Your backend's name in messages; the class name unless you set it. */
  readonly kind: string;
  /** The options it was configured with (everything but `backend`). */
  readonly options: Readonly<TOptions>;
  /** The queues tasks may use (its `queues` option); `null` allows any name. */
  readonly allowedQueues: readonly string[] | null;
  /** `runAfter`/`delay` can be honoured. Off unless you turn it on. */
  readonly supportsDefer: boolean = false;
  /** Priority is stored and honoured. Off unless you turn it on (then any priority but 0 is refused). */
  readonly supportsPriority: boolean = false;
  /** `getRecord`/`getResult` work. Off unless you turn it on (and override `getRecord`). */
  readonly supportsGetResult: boolean = false;
  /** `async` functions can be tasks. On by default. */
  readonly supportsAsyncTask: boolean = true;

  constructor(alias: string, options: TOptions = {} as TOptions) {
    this.alias = alias;
    this.kind = new.target.name;
    this.options = { ...options };
    this.allowedQueues = options.queues && options.queues.length > 0 ? [...options.queues] : null;
  }

  /** Stores the task (or hands it on) and returns its PENDING record. The one method you must write. */
  abstract enqueue(request: EnqueueRequest, context?: EnqueueContext): Promise<TaskRecord>;

  /** One `enqueue` after another; override it if your engine can store a batch at once. */
  async enqueueMany(requests: EnqueueRequest[], context?: EnqueueContext): Promise<TaskRecord[]> {
    const records: TaskRecord[] = [];
    for (const request of requests) records.push(await this.enqueue(request, context));
    return records;
  }

  getRecord(_id: string): Promise<TaskRecord> {
    return this.notSupported("getRecord()", "supportsGetResult");
  }

  async getResult(id: string): Promise<TaskResult> {
    if (!this.supportsGetResult) return this.notSupported("getResult()", "supportsGetResult");
    return new TaskResult(await this.getRecord(id), this);
  }

  list(_filters?: TaskListFilters): Promise<TaskListPage> {
    return this.notSupported("list()");
  }

  stats(): Promise<TaskStats> {
    return this.notSupported("stats()");
  }

  cancel(_id: string): Promise<TaskRecord> {
    return this.notSupported("cancel()");
  }

  retry(_id: string): Promise<TaskRecord> {
    return this.notSupported("retry()");
  }

  prune(_options: PruneOptions): Promise<number> {
    return this.notSupported("prune()");
  }

  dependents(_id: string, _options?: { limit?: number }): Promise<TaskDependent[]> {
    return this.notSupported("dependents()");
  }

  pauseQueue(_name: string): Promise<void> {
    return this.notSupported("pauseQueue()");
  }

  resumeQueue(_name: string): Promise<void> {
    return this.notSupported("resumeQueue()");
  }

  queues(): Promise<QueueInfo[]> {
    return this.notSupported("queues()");
  }

  retryMany(_filter?: BulkTaskFilter): Promise<number> {
    return this.notSupported("retryMany()");
  }

  cancelMany(_filter?: BulkTaskFilter): Promise<number> {
    return this.notSupported("cancelMany()");
  }

  watchChanges(_listener: TaskChangeListener): Promise<Unsubscribe> {
    return this.notSupported("watchChanges()");
  }

  async close(): Promise<void> {}

  /** Rejects with `NOT_SUPPORTED`, naming this backend and what it lacks. */
  protected notSupported(what: string, flag?: string): Promise<never> {
    return Promise.reject(
      new ErrandError(
        ERROR_CODES.NOT_SUPPORTED,
        `${describeBackend(this)} does not support ${what}${flag ? ` (${flag} is false)` : ""}. Use a backend that does, or implement it in ${this.kind}.`,
      ),
    );
  }
}
