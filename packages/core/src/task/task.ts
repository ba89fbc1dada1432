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
import {
  rejectUnknownOptions,
  TASK_OPTION_KEYS,
  USING_OPTION_KEYS,
  type TaskOptions,
  type UsingOptions,
} from "./task-options";
import type { TaskContext } from "./task-context";
import { MAX_BACKEND_ALIAS_LENGTH, MAX_CONCURRENCY_KEY_LENGTH, MAX_TASK_NAME_LENGTH } from "@errand/db";
import {
  validateDate,
  validateForBackend,
  validatePositiveInteger,
  validatePositiveNumber,
  validatePriority,
  validateQueueName,
  validateUniqueKey,
} from "./validate-options";
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
    if (typeof options !== "object" || options === null) {
      throw new InvalidTask(`using() needs an options object, got ${String(options)}.`, name);
    }
    rejectUnknownOptions(options, USING_OPTION_KEYS, { where: `Task "${name}": using()`, name });
    const next: { -readonly [K in keyof UsingState]: UsingState[K] } = { ...this.#using };
    if (options.priority !== undefined && options.priority !== null)
      next.priority = validatePriority(options.priority, name);
    if (options.queueName !== undefined && options.queueName !== null)
      next.queueName = validateQueueName(options.queueName, name);
    if (options.backend !== undefined && options.backend !== null) {
      next.backend = options.backend;
      getBackend(options.backend);
    }
    if (options.repeat !== undefined && options.repeat !== null)
      next.repeat = validatePositiveInteger(options.repeat, "repeat (seconds)", name);
    if (options.repeatUntil !== undefined && options.repeatUntil !== null)
      next.repeatUntil = validateDate(options.repeatUntil, "repeatUntil", name);
    if (options.maxAttempts !== undefined && options.maxAttempts !== null)
      next.maxAttempts = validatePositiveInteger(options.maxAttempts, "maxAttempts", name);
    if (options.verboseName !== undefined && options.verboseName !== null)
      next.verboseName = String(options.verboseName);
    if (options.creator !== undefined && options.creator !== null) {
      const { type, id } = options.creator;
      if (typeof type !== "string" || typeof id !== "string" || !type || !id) {
        throw new InvalidTask(`creator must be { type: string; id: string } with both non-empty.`, name);
      }
      next.creator = { type, id };
    }
    if (options.uniqueKey !== undefined && options.uniqueKey !== null)
      next.uniqueKey = validateUniqueKey(options.uniqueKey, name);
    if (options.transaction !== undefined && options.transaction !== null) next.transaction = options.transaction;
    if (options.dependsOn !== undefined && options.dependsOn !== null)
      next.dependsOn = validateDependsOn(options.dependsOn, next.backend, name);
    let runAfter = this.#runAfter;
    let delayMs = this.#delayMs;
    if (options.runAfter !== undefined && options.runAfter !== null) {
      runAfter = validateDate(options.runAfter, "runAfter", name);
      delayMs = null;
    }
    if (options.delay !== undefined && options.delay !== null) {
      const ms = delayToMilliseconds(options.delay);
      if (!Number.isFinite(ms) || ms < 0)
        throw new InvalidTask(`delay must be a non-negative duration, got ${JSON.stringify(options.delay)}.`, name);
      delayMs = ms;
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
  if (typeof options !== "object" || options === null) {
    throw new InvalidTask(
      `task() needs a name or an options object with a name, got ${JSON.stringify(optionsOrName) ?? typeof optionsOrName}.`,
    );
  }
  const { name } = options;
  rejectUnknownOptions(options, TASK_OPTION_KEYS, {
    where: `task(${typeof name === "string" ? JSON.stringify(name) : ""})`,
  });
  // Django's checks, in its order: a resolvable function, async support (every backend
  // here runs async functions), the context parameter, priority, then per-backend checks
  // at enqueue (defer support, queue allow-list), once the backend is configured.
  if (typeof name !== "string" || name.trim().length === 0 || name.length > MAX_TASK_NAME_LENGTH) {
    throw new InvalidTask(
      `A task needs a stable, non-empty name of at most ${MAX_TASK_NAME_LENGTH} characters, e.g. task({ name: "emails.send" }, fn).`,
    );
  }
  if (typeof fn !== "function")
    throw new InvalidTask(`Task "${name}" needs a function to run, got ${typeof fn}.`, name);
  const takesContext = options.takesContext ?? false;
  if (takesContext && fn.length < 1) {
    throw new InvalidTask(
      `Task "${name}" has takesContext: true, so its function must accept the context as its first parameter.`,
      name,
    );
  }
  const priority = validatePriority(options.priority ?? 0, name);
  const queueName = validateQueueName(options.queueName ?? "default", name);
  const backend = options.backend ?? "default";
  if (typeof backend !== "string" || backend.length === 0 || backend.length > MAX_BACKEND_ALIAS_LENGTH) {
    throw new InvalidTask(`backend must be a configured backend alias, got ${JSON.stringify(backend)}.`, name);
  }
  const maxAttempts =
    options.maxAttempts === undefined ? null : validatePositiveInteger(options.maxAttempts, "maxAttempts", name);
  const timeout = options.timeout === undefined ? null : validatePositiveNumber(options.timeout, "timeout", name);
  if (options.isolate !== undefined && options.isolate !== "thread") {
    throw new InvalidTask(
      `isolate must be "thread" (run each attempt in a worker thread) or left out, got ${JSON.stringify(options.isolate)}.`,
      name,
    );
  }
  if (options.backoff !== undefined && typeof options.backoff !== "function") {
    throw new InvalidTask(`backoff must be a function (attempts) => seconds.`, name);
  }
  if (options.concurrencyKey !== undefined && typeof options.concurrencyKey !== "function") {
    throw new InvalidTask(
      `concurrencyKey must be a function (...args) => string, e.g. (id) => \`customer:\${id}\`.`,
      name,
    );
  }
  if (options.concurrencyLimit !== undefined && options.concurrencyKey === undefined) {
    throw new InvalidTask(`concurrencyLimit needs a concurrencyKey: the limit is per key.`, name);
  }
  const concurrencyLimit =
    options.concurrencyLimit === undefined
      ? 1
      : validatePositiveInteger(options.concurrencyLimit, "concurrencyLimit", name);
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
