import { InvalidTask } from "../errors";
import type { EnqueueTransaction, TaskCreator } from "../types";
import type { TaskResult } from "../result/task-result";
import type { Delay } from "./repeat";

/** Options of `task()`. Only `name` is required. */
export interface TaskOptions {
  /** Stable name stored in the database and looked up by the worker, e.g. "accounts.sendWelcomeEmail". */
  name: string;
  /** Default "default". */
  queueName?: string;
  /** −100…100, higher runs first. Default 0. */
  priority?: number;
  /** Backend alias. Default "default". */
  backend?: string;
  /** Pass a `TaskContext` as the first argument. */
  takesContext?: boolean;
  /** Runs before the task is FAILED for good. Default from config (25). */
  maxAttempts?: number;
  /** Seconds to wait before retry number `attempts` (1-based). Default `attempts ** 4 + 5`. */
  backoff?: (attempts: number) => number;
  /** Seconds one attempt may run before its `signal` aborts and the attempt fails. */
  timeout?: number;
  /**
   * `"thread"`: the worker runs each attempt in its own `worker_threads` thread, which
   * imports the config's task modules and finds the task by name. For CPU-heavy work: it
   * blocks neither the worker's other tasks nor its lease heartbeat, and a `timeout` or a
   * cancel ends the thread (the function is stopped, not just told through `signal`).
   * Arguments, return value and progress cross the thread as JSON. Default: the worker's
   * event loop.
   */
  isolate?: "thread";
  /** A human name shown in the UI. */
  verboseName?: string;
  /**
   * Computed from the arguments at enqueue and stored: at most `concurrencyLimit` tasks with
   * the same key RUNNING at once, on every worker; the others wait PENDING, in order. Must
   * return a non-empty string (else the enqueue fails and nothing is stored).
   *
   * @example
   * concurrencyKey: (customerId: string) => `customer:${customerId}`
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  concurrencyKey?: (...args: any[]) => string;
  /** Tasks with the same `concurrencyKey` RUNNING at once. Default 1. */
  concurrencyLimit?: number;
}

/** Per-enqueue overrides of `task.using()`. `undefined` keeps the current value. */
export interface UsingOptions {
  priority?: number | undefined;
  queueName?: string | undefined;
  /** Absolute time the task becomes due. */
  runAfter?: Date | undefined;
  /** Relative delay (seconds when a number), computed at enqueue time. */
  delay?: Delay | number | undefined;
  backend?: string | undefined;
  /** Seconds between runs (see `Repeat`); the next run is scheduled when one succeeds. */
  repeat?: number | undefined;
  repeatUntil?: Date | undefined;
  verboseName?: string | undefined;
  creator?: TaskCreator | undefined;
  maxAttempts?: number | undefined;
  /**
   * While a task with this key is PENDING or RUNNING, `enqueue` stores nothing and returns
   * that task (`result.deduplicated === true`), however many callers enqueue at once.
   */
  uniqueKey?: string | undefined;
  /** The caller's Kysely transaction: the task row commits or rolls back with it. */
  transaction?: EnqueueTransaction | undefined;
  /**
   * Tasks (their results, or ids) that must all succeed before this one runs; at most 1,000,
   * stored on the same backend. It stays PENDING until then, and fails with
   * `DependencyFailed` without running if one of them fails. Its context's `dependencies`
   * holds their return values, in this order.
   */
  dependsOn?: readonly (TaskResult<unknown> | string)[] | undefined;
}

/** Every option `task()` knows: anything else is a mistake to report, not to ignore. */
export const TASK_OPTION_KEYS = Object.keys({
  name: true,
  queueName: true,
  priority: true,
  backend: true,
  takesContext: true,
  maxAttempts: true,
  backoff: true,
  timeout: true,
  isolate: true,
  verboseName: true,
  concurrencyKey: true,
  concurrencyLimit: true,
} satisfies Record<keyof TaskOptions, true>);

/** Every option `task.using()` knows. */
export const USING_OPTION_KEYS = Object.keys({
  priority: true,
  queueName: true,
  runAfter: true,
  delay: true,
  backend: true,
  repeat: true,
  repeatUntil: true,
  verboseName: true,
  creator: true,
  maxAttempts: true,
  uniqueKey: true,
  transaction: true,
  dependsOn: true,
} satisfies Record<keyof UsingOptions, true>);

/**
 * An option the function does not know (a typo, an option of a later version, a value
 * built at run time and so never checked by the compiler) is an error: ignored, it would
 * change nothing and say nothing.
 */
export function rejectUnknownOptions(
  options: object,
  known: readonly string[],
  { where, name }: { where: string; name?: string },
): void {
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  throw new InvalidTask(
    `${where} got ${unknown.length === 1 ? "an unknown option" : "unknown options"} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; ` +
      `it knows ${known.join(", ")}.`,
    name,
  );
}
