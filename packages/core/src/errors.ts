/**
 * Every error Errand throws on purpose, by code. One table, so that tRPC, the worker and
 * users can switch on `error.code` without importing the classes.
 */
export const ERROR_CODES = {
  TASK_RESULT_DOES_NOT_EXIST: "TASK_RESULT_DOES_NOT_EXIST",
  TASK_RESULT_MISMATCH: "TASK_RESULT_MISMATCH",
  INVALID_TASK: "INVALID_TASK",
  INVALID_TASK_ARGUMENTS: "INVALID_TASK_ARGUMENTS",
  INVALID_TASK_BACKEND: "INVALID_TASK_BACKEND",
  TASK_NOT_REGISTERED: "TASK_NOT_REGISTERED",
  TASK_NOT_FINISHED: "TASK_NOT_FINISHED",
  TASK_FAILED: "TASK_FAILED",
  INVALID_RETURN_VALUE: "INVALID_RETURN_VALUE",
  TASK_TIMEOUT: "TASK_TIMEOUT",
  TASK_CANCELLED: "TASK_CANCELLED",
  LEASE_EXPIRED: "LEASE_EXPIRED",
  NOT_SUPPORTED: "NOT_SUPPORTED",
  FEED_UNAVAILABLE: "FEED_UNAVAILABLE",
  INVALID_CONFIG: "INVALID_CONFIG",
  INVALID_STATE: "INVALID_STATE",
  DO_NOT_RETRY: "DO_NOT_RETRY",
  DEPENDENCY_FAILED: "DEPENDENCY_FAILED",
  INTERNAL: "INTERNAL",
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  UNIQUE_KEY_CONTENDED: "UNIQUE_KEY_CONTENDED",
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * The base of every error Errand throws.
 *
 * @example
 * try { await task.getResult(id) } catch (e) { if (e instanceof ErrandError && e.code === "TASK_RESULT_DOES_NOT_EXIST") ... }
 */
export class ErrandError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `getResult(id)` found no task with that id (a malformed id is "not found" too). */
export class TaskResultDoesNotExist extends ErrandError {
  readonly id: string;
  constructor(id: string, options?: { cause?: unknown }) {
    super(
      ERROR_CODES.TASK_RESULT_DOES_NOT_EXIST,
      `No task result with id "${id}". It may never have existed, or it was pruned; check the id you stored.`,
      options,
    );
    this.id = id;
  }
}

/** `task.getResult(id)` found a result, but it belongs to another task. */
export class TaskResultMismatch extends ErrandError {
  readonly id: string;
  readonly expectedTaskName: string;
  readonly actualTaskName: string;
  constructor(id: string, expectedTaskName: string, actualTaskName: string) {
    super(
      ERROR_CODES.TASK_RESULT_MISMATCH,
      `Task result "${id}" belongs to task "${actualTaskName}", not "${expectedTaskName}". Call getResult on "${actualTaskName}" or on the backend.`,
    );
    this.id = id;
    this.expectedTaskName = expectedTaskName;
    this.actualTaskName = actualTaskName;
  }
}

/** A task definition or its `using()` options are invalid, or the backend cannot honour them. */
export class InvalidTask extends ErrandError {
  readonly taskName: string | undefined;
  constructor(message: string, taskName?: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.INVALID_TASK, message, options);
    this.taskName = taskName;
  }
}

/** The arguments given to `enqueue` are not JSON. Nothing was stored. */
export class InvalidTaskArgumentsError extends ErrandError {
  /** Where the bad value sits, e.g. `args[0].createdAt`. */
  readonly path: string;
  /** What is wrong with it, e.g. `is undefined; use null`. */
  readonly problem: string;
  constructor(path: string, problem: string, taskName?: string) {
    super(
      ERROR_CODES.INVALID_TASK_ARGUMENTS,
      `${taskName ? `Task "${taskName}": ` : ""}${path} ${problem}. Task arguments must be JSON (strings, finite numbers, booleans, null, arrays and plain objects); nothing was enqueued.`,
    );
    this.path = path;
    this.problem = problem;
  }
}

/**
 * A function was called with an argument it cannot take (`ctx.setProgress(-1)`,
 * `transaction.onCommit(42)`, a tRPC input that fails its schema). Nothing was changed.
 *
 * @example
 * try { await ctx.setProgress(-1) } catch (e) { if (e instanceof InvalidArgument) ... }
 */
export class InvalidArgument extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.INVALID_ARGUMENT, message, options);
  }
}

/**
 * Enqueueing with unique keys gave up: other tasks kept taking and freeing the same keys
 * while it retried. Nothing was enqueued; try again.
 */
export class UniqueKeyContended extends ErrandError {
  constructor() {
    super(
      ERROR_CODES.UNIQUE_KEY_CONTENDED,
      "Could not enqueue: the unique keys kept being taken and freed by other tasks; nothing was enqueued, try again.",
    );
  }
}

/** The backend alias is not configured, or its settings are invalid. */
export class InvalidTaskBackend extends ErrandError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.INVALID_TASK_BACKEND, message, options);
    this.backend = backend;
  }
}

/**
 * A setting of `configure()` / `errand.config.ts` (or an option of `new Worker()`) is
 * unknown or has a value it cannot take; `setting` is its path, e.g.
 * `queues.email.rateLimit.periodSeconds`. Nothing was changed.
 *
 * @example
 * try { configure({ maxAttempts: 0 }) } catch (e) { if (e instanceof InvalidConfig) console.error(e.setting) }
 */
export class InvalidConfig extends ErrandError {
  readonly setting: string;
  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.INVALID_CONFIG, message, options);
    this.setting = setting;
  }
}

/** No task with this name is registered in this process. */
export class TaskNotRegistered extends ErrandError {
  readonly taskName: string;
  constructor(taskName: string) {
    super(
      ERROR_CODES.TASK_NOT_REGISTERED,
      `No task named "${taskName}" is registered in this process. Import the module that defines it (list it in errand.config.ts "tasks") or check the name for typos.`,
    );
    this.taskName = taskName;
  }
}

/**
 * Thrown by a task to fail at once, whatever attempts it has left (a declined card, a
 * deleted user): the worker records it and marks the task FAILED instead of retrying.
 *
 * @example
 * if (!user) throw new DoNotRetry(`user ${id} no longer exists`);
 */
export class DoNotRetry extends ErrandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.DO_NOT_RETRY, message, options);
  }
}

/**
 * The reason a cancelled RUNNING task's `signal` aborts with, and the error it is stored
 * FAILED with (never retried). `result.cancel()`, `backend.cancel(id)` or the tRPC `cancel`
 * asked for it, from any process.
 *
 * @example
 * if (ctx.signal.aborted && ctx.signal.reason instanceof TaskCancelled) await cleanUp();
 */
export class TaskCancelled extends ErrandError {
  readonly taskId: string;
  constructor(taskId: string, message = `Task ${taskId} was cancelled while running; its worker aborted its signal.`) {
    super(ERROR_CODES.TASK_CANCELLED, message);
    this.taskId = taskId;
  }
}

/**
 * Whether a failed attempt may be retried, attempts permitting: the one place this rule
 * lives (the worker, its isolated threads and the docs' state table follow it). Never
 * retried: a `DoNotRetry`, a return value that is not JSON (running it again returns the
 * same value), an unregistered task name and a cancel. The codes are read too, so an
 * error from another copy of this module (an isolated thread) counts.
 *
 * @example
 * mayRetry(new Error("timeout talking to the API")); // true
 * mayRetry(new DoNotRetry("card declined")); // false
 */
export function mayRetry(error: unknown): boolean {
  if (error instanceof TaskNotRegistered || error instanceof TaskCancelled) return false;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return code !== ERROR_CODES.DO_NOT_RETRY && code !== ERROR_CODES.INVALID_RETURN_VALUE;
}

/**
 * What a task that waited on others (`using({ dependsOn })`) is FAILED with, without running,
 * when one of them ended FAILED (out of retries, or cancelled); its dependents in turn fail
 * the same way. Retry the failed dependency, then this task.
 *
 * @example
 * r.errors.at(-1)?.exceptionClass === "DependencyFailed"; // r.errors.at(-1)?.message names the failed task
 */
export class DependencyFailed extends ErrandError {
  /** The dependency that failed. */
  readonly dependencyId: string;
  readonly dependencyTaskName: string;
  constructor(dependencyId: string, dependencyTaskName: string) {
    super(
      ERROR_CODES.DEPENDENCY_FAILED,
      `Task ${dependencyId} ("${dependencyTaskName}"), which this task depends on, failed, so this task did not run. Retry that task, then this one.`,
    );
    this.dependencyId = dependencyId;
    this.dependencyTaskName = dependencyTaskName;
  }
}

/** Whether an error asks not to be retried (also across copies of this module). */
export function isDoNotRetry(error: unknown): boolean {
  return (
    error instanceof DoNotRetry ||
    (error instanceof Error && (error as { code?: unknown }).code === ERROR_CODES.DO_NOT_RETRY)
  );
}

/**
 * Turns anything thrown into an `ErrandError`, keeping the original as `cause`. Used at
 * every boundary (worker loop, tRPC) so callers see one error shape.
 */
export function toErrandError(error: unknown): ErrandError {
  if (error instanceof ErrandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ErrandError(ERROR_CODES.INTERNAL, message, { cause: error });
}
