import { tracedEnqueue } from "../telemetry/enqueue-span";
import { ERROR_CODES, ErrandError, InvalidTask, InvalidTaskArgumentsError, TaskResultMismatch } from "../errors";
import type { Backend } from "../backends/backend";
import { describeBackend } from "../backends/describe-backend";
import { getBackend, getSettings } from "../config/configure";
import { normalizeJson, type JsonValue } from "../json/normalize-json";
import { TaskResult } from "../result/task-result";
import type { EnqueueRequest } from "../types";
import { delayToMilliseconds } from "./repeat";
import { registerTask } from "./registry";
import { TASK_OPTIONS, taskSurface, USING_OPTIONS, type TaskOptions, type UsingOptions } from "./task-options";
import type { TaskContext } from "./task-context";
import { MAX_CONCURRENCY_KEY_LENGTH } from "@errand/db";
import { checkOptions, invalidOption } from "../options/check-options";
import { validateForBackend } from "./validate-for-backend";
import { validateDependsOn } from "./validate-depends-on";

export type { TaskOptions, UsingOptions } from "./task-options";

/** The default retry delay: django-background-tasks' `attempts ** 4 + 5` seconds. */
export function defaultBackoff(attempts: number): number {
  return attempts ** 4 + 5;
}

interface TaskDefinition {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fn: (...args: any[]) => unknown;
  takesContext: boolean;
  backoff: (attempts: number) => number;
  timeout: number | null;
  isolate: "thread" | null;
  maxAttempts: number | null;
  key: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  concurrencyKey: ((...args: any[]) => unknown) | null;
  concurrencyLimit: number;
}

type UsingState = Readonly<Omit<UsingOptions, "delay" | "runAfter" | "dependsOn">> & {
  /** Ids, validated. */
  dependsOn?: readonly string[];
  queueName: string;
  priority: number;
  backend: string;
};

/** A task of any argument and return types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTask = Task<any[], any>;

/** The argument tuple of a task. */
export type TaskArgs<T> = T extends Task<infer A, unknown> ? A : never;
/** What a task returns (awaited). */
export type TaskReturn<T> = T extends Task<unknown[], infer R> ? R : never;

/**
 * A task: a function that runs in a worker, plus where and how to enqueue it. Made by
 * `task()`; `using()` returns a modified copy.
 */
export class Task<TArgs extends unknown[], TReturn, TName extends string = string> {
  readonly #def: TaskDefinition;
  readonly #using: UsingState;
  readonly #runAfter: Date | null;
  readonly #delayMs: number | null;

  /** @internal Use `task()`. */
  constructor(state: { def: TaskDefinition; using: UsingState; runAfter: Date | null; delayMs: number | null }) {
    this.#def = state.def;
    this.#using = state.using;
    this.#runAfter = state.runAfter;
    this.#delayMs = state.delayMs;
  }

  /** The stable name given to `task()`; its type is the literal, for the tRPC router's paths. */
  get name(): TName {
    return this.#def.name as TName;
  }
  get queueName(): string {
    return this.#using.queueName;
  }
  get priority(): number {
    return this.#using.priority;
  }
  get backendAlias(): string {
    return this.#using.backend;
  }
  get takesContext(): boolean {
    return this.#def.takesContext;
  }
  /** Seconds one attempt may run, or `null`. */
  get timeout(): number | null {
    return this.#def.timeout;
  }
  /** `"thread"` when each attempt runs in its own worker thread, or `null`. */
  get isolate(): "thread" | null {
    return this.#def.isolate;
  }
  get maxAttempts(): number {
    return this.#using.maxAttempts ?? this.#def.maxAttempts ?? getSettings().maxAttempts;
  }
  /** @internal Identifies the definition, to tell a re-evaluated module from a name clash. */
  get definitionKey(): string {
    return this.#def.key;
  }
  /** Seconds before retrying after failed attempt number `attempts`. */
  backoff(attempts: number): number {
    return this.#def.backoff(attempts);
  }
  /** The backend this task enqueues to (from the current configuration). */
  get backend(): Backend {
    return getBackend(this.#using.backend);
  }

  /**
   * A copy with some options changed; this task is unchanged. Validates at once.
   *
   * @example
   * await sendEmail.using({ priority: 10, delay: { minutes: 5 } }).enqueue(42);
   */
  using(options: UsingOptions): Task<TArgs, TReturn, TName> {
    const name = this.#def.name;
    checkOptions(options, USING_OPTIONS, taskSurface(name, "using"));
    const next: { -readonly [K in keyof UsingState]: UsingState[K] } = { ...this.#using };
    if (options.priority != null) next.priority = options.priority;
    if (options.queueName != null) next.queueName = options.queueName;
    if (options.backend != null) {
      next.backend = options.backend;
      getBackend(options.backend);
    }
    if (options.repeat != null) next.repeat = options.repeat;
    if (options.repeatUntil != null) next.repeatUntil = options.repeatUntil;
    if (options.maxAttempts != null) next.maxAttempts = options.maxAttempts;
    if (options.verboseName != null) next.verboseName = options.verboseName;
    if (options.creator != null) next.creator = { type: options.creator.type, id: options.creator.id };
    if (options.uniqueKey != null) next.uniqueKey = options.uniqueKey;
    if (options.transaction != null) next.transaction = options.transaction;
    if (options.dependsOn != null) next.dependsOn = validateDependsOn(options.dependsOn, next.backend, name);
    let runAfter = this.#runAfter;
    let delayMs = this.#delayMs;
    if (options.runAfter != null) {
      runAfter = options.runAfter;
      delayMs = null;
    }
    if (options.delay != null) {
      delayMs = delayToMilliseconds(options.delay);
      runAfter = null;
    }
    const copy = new Task<TArgs, TReturn, TName>({ def: this.#def, using: next, runAfter, delayMs });
    copy.#validateForBackend();
    return copy;
  }

  /**
   * Stores the task for a worker to run and returns its result, PENDING.
   *
   * @throws InvalidTaskArgumentsError when an argument is not JSON (nothing is stored).
   * @example
   * const result = await sendWelcomeEmail.enqueue(42);
   */
  async enqueue(...args: TArgs): Promise<TaskResult<TReturn>> {
    const request = this.#request(args, "args");
    const backend = this.#validateForBackend(request.runAfter);
    // The backend emits `enqueued` (before an immediate backend runs the task).
    const [record] = await tracedEnqueue(this.name, [request], async ([traced]) => [
      await backend.enqueue(traced!, { transaction: this.#using.transaction }),
    ]);
    return new TaskResult<TReturn>(record!, backend);
  }

  /**
   * Enqueues one task per argument list, in one round trip where the backend can.
   *
   * @example
   * await sendWelcomeEmail.enqueueMany([[1], [2], [3]]);
   */
  async enqueueMany(argsList: readonly TArgs[]): Promise<TaskResult<TReturn>[]> {
    if (!Array.isArray(argsList)) {
      throw new InvalidTaskArgumentsError("argsList", "must be an array of argument arrays", this.name);
    }
    const requests = argsList.map((args, i) => {
      if (!Array.isArray(args)) {
        throw new InvalidTaskArgumentsError(`argsList[${i}]`, "must be an array of arguments", this.name);
      }
      return this.#request(args, `argsList[${i}]`);
    });
    if (requests.length === 0) return [];
    const backend = this.#validateForBackend(requests[0]!.runAfter);
    const records = await tracedEnqueue(this.name, requests, (traced) =>
      backend.enqueueMany(traced, { transaction: this.#using.transaction }),
    );
    return records.map((record) => new TaskResult<TReturn>(record, backend));
  }

  /**
   * Runs the function now, in this process, and returns what it returns (Django's
   * `Task.call`). Arguments are checked as for `enqueue`. Not for tasks that take a context.
   */
  async call(...args: TArgs): Promise<TReturn> {
    if (this.#def.takesContext) {
      throw new InvalidTask(
        `Task "${this.name}" takes a context, which only exists when a backend runs it: enqueue it (the "immediate" backend runs it at once).`,
        this.name,
      );
    }
    const normalized = normalizeJson(args, "args", this.name) as unknown[];
    return (await this.#def.fn(...normalized)) as TReturn;
  }

  /**
   * The result with this id, which must belong to this task.
   *
   * @throws TaskResultDoesNotExist, TaskResultMismatch
   */
  async getResult(id: string): Promise<TaskResult<TReturn>> {
    const backend = this.backend;
    if (!backend.supportsGetResult) {
      throw new ErrandError(
        ERROR_CODES.NOT_SUPPORTED,
        `${describeBackend(backend)} cannot fetch results (supportsGetResult is false): keep what you need from enqueue()'s result, or use a backend that stores results.`,
      );
    }
    const record = await backend.getRecord(id);
    if (record.taskName !== this.name) throw new TaskResultMismatch(record.id, this.name, record.taskName);
    return new TaskResult<TReturn>(record, backend);
  }

  /** Checks and normalises arguments as `enqueue` would, without storing anything. */
  validateArgs(args: unknown): JsonValue[] {
    if (!Array.isArray(args)) throw new InvalidTaskArgumentsError("args", "must be an array of arguments", this.name);
    return normalizeJson(args, "args", this.name) as JsonValue[];
  }

  /** @internal Runs the function with these (already normalised) arguments; used by backends and the worker. */
  run(context: TaskContext<TReturn> | null, args: unknown[]): Promise<unknown> {
    return Promise.resolve().then(() =>
      this.#def.takesContext ? this.#def.fn(context, ...args) : this.#def.fn(...args),
    );
  }

  #request(args: readonly unknown[], path: string): EnqueueRequest {
    const normalized = normalizeJson(args, path === "args" ? "args" : path, this.name) as JsonValue[];
    let runAfter = this.#runAfter;
    if (this.#delayMs !== null) runAfter = new Date(Date.now() + this.#delayMs);
    return {
      taskName: this.name,
      args: normalized,
      queueName: this.#using.queueName,
      priority: this.#using.priority,
      runAfter,
      maxAttempts: this.maxAttempts,
      repeat: this.#using.repeat ?? null,
      repeatUntil: this.#using.repeatUntil ?? null,
      verboseName: this.#using.verboseName ?? null,
      creator: this.#using.creator ?? null,
      uniqueKey: this.#using.uniqueKey ?? null,
      ...this.#concurrency(normalized),
      dependsOn: [...(this.#using.dependsOn ?? [])],
    };
  }

  /** The stored `concurrencyKey` of a task with these arguments (none without a key function). */
  #concurrency(args: JsonValue[]): Pick<EnqueueRequest, "concurrencyKey" | "concurrencyLimit"> {
    const keyFn = this.#def.concurrencyKey;
    if (!keyFn) return {};
    let key: unknown;
    try {
      key = keyFn(...args);
    } catch (error) {
      throw new InvalidTask(
        `Task "${this.name}": concurrencyKey threw for these arguments (${(error as Error)?.message ?? String(error)}); nothing was stored.`,
        this.name,
        { cause: error },
      );
    }
    if (typeof key !== "string" || key.length === 0 || key.length > MAX_CONCURRENCY_KEY_LENGTH) {
      throw new InvalidTask(
        `Task "${this.name}": concurrencyKey must return a non-empty string of at most ${MAX_CONCURRENCY_KEY_LENGTH} characters, got ${JSON.stringify(key) ?? typeof key}; nothing was stored.`,
        this.name,
      );
    }
    return { concurrencyKey: key, concurrencyLimit: this.#def.concurrencyLimit };
  }

  #validateForBackend(runAfter: Date | null = this.#runAfter ?? (this.#delayMs !== null ? new Date() : null)): Backend {
    const backend = this.backend;
    validateForBackend(backend, {
      taskName: this.name,
      priority: this.#using.priority,
      runAfter,
      queueName: this.#using.queueName,
      isAsync: this.#def.fn.constructor.name === "AsyncFunction",
    });
    return backend;
  }
}

/**
 * Defines a task: `name` is what the database stores and the worker looks up, so keep it
 * stable. A duplicate name throws.
 *
 * @example
 * export const sendWelcomeEmail = task(
 *   { name: "accounts.sendWelcomeEmail", queueName: "email" },
 *   async (userId: number) => ({ sent: true }),
 * );
 */
export function task<TArgs extends unknown[], TResult, const TName extends string = string>(
  options: TaskOptions & { name: TName; takesContext: true },
  fn: (context: TaskContext<Awaited<TResult>>, ...args: TArgs) => TResult,
): Task<TArgs, Awaited<TResult>, TName>;
export function task<TArgs extends unknown[], TResult, const TName extends string = string>(
  options: TName | (TaskOptions & { name: TName; takesContext?: false | undefined }),
  fn: (...args: TArgs) => TResult,
): Task<TArgs, Awaited<TResult>, TName>;
export function task(
  optionsOrName: string | TaskOptions,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fn: (...args: any[]) => unknown,
): AnyTask {
  const options: TaskOptions = typeof optionsOrName === "string" ? { name: optionsOrName } : optionsOrName;
  const surface = taskSurface((options as Partial<TaskOptions> | null)?.name);
  checkOptions(options, TASK_OPTIONS, surface);
  const { name } = options;
  // Django's checks, in its order: a resolvable function, async support (every backend
  // here runs async functions), the context parameter, priority, then per-backend checks
  // at enqueue (defer support, queue allow-list), once the backend is configured.
  if (typeof fn !== "function")
    throw invalidOption(surface, { path: "the function", rule: "a function to run", value: fn });
  const takesContext = options.takesContext ?? false;
  if (takesContext && fn.length < 1) {
    throw new InvalidTask(
      `${surface.where}: takesContext is true, so its function must accept the context as its first parameter.`,
      name,
    );
  }
  if (options.concurrencyLimit != null && options.concurrencyKey == null) {
    throw new InvalidTask(`${surface.where}: concurrencyLimit needs a concurrencyKey: the limit is per key.`, name);
  }
  const priority = options.priority ?? 0;
  const queueName = options.queueName ?? "default";
  const backend = options.backend ?? "default";
  const maxAttempts = options.maxAttempts ?? null;
  const timeout = options.timeout ?? null;
  const concurrencyLimit = options.concurrencyLimit ?? 1;
  const def: TaskDefinition = {
    name,
    fn,
    takesContext,
    backoff: options.backoff ?? defaultBackoff,
    timeout,
    isolate: options.isolate ?? null,
    maxAttempts,
    // Options and arity, not the function's text: a bundler that evaluates the same module
    // once per server layer (Next.js) prints the function differently in each copy.
    key: JSON.stringify({
      ...options,
      backoff: options.backoff !== undefined,
      concurrencyKey: options.concurrencyKey !== undefined,
      arity: fn.length,
    }),
    concurrencyKey: options.concurrencyKey ?? null,
    concurrencyLimit,
  };
  const created = new Task({
    def,
    using: { queueName, priority, backend, verboseName: options.verboseName },
    runAfter: null,
    delayMs: null,
  });
  registerTask(created);
  return created;
}
